import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The UI is served by Tauri from ui/dist; there is no dev server in the loop.
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline data: URIs for scripts; images may be inlined (CSP allows data: images).
    assetsInlineLimit: 2048,
    // GOV.UK Frontend keeps an old IE hack (`min-width: 0\0`) that the CSS
    // minifier rejects; the app loads its CSS from disk, so size hardly matters.
    cssMinify: false,
  },
  css: {
    preprocessorOptions: {
      scss: {
        loadPaths: ['.'],
        quietDeps: true,
        // GOV.UK Frontend warns about its own deprecations inside MOJ Frontend's
        // sources; those are not ours to fix, so only our own warnings are shown.
        logger: {
          warn(message: string, options: { span?: { url?: URL } }) {
            const from = options.span?.url?.pathname ?? '';
            if (!from.includes('/node_modules/')) console.warn(message);
          },
        },
      },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-setup.ts'],
  },
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
});
