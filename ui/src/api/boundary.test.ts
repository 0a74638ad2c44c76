// ui/src/api/ is the only code that may talk to the Rust side.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|svelte)$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the IPC boundary', () => {
  it('keeps every use of invoke() inside src/api/', () => {
    const offenders = sourceFiles(SRC)
      .filter((f) => !relative(SRC, f).startsWith('api/'))
      .filter((f) => /@tauri-apps\/api\/core|\binvoke\s*\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    expect(offenders).toEqual([]);
  });

  it('finds the source files it checks (the check itself can fail)', () => {
    const files = sourceFiles(SRC).map((f) => relative(SRC, f));
    expect(files).toContain('api/ipc.ts');
    expect(readFileSync(join(SRC, 'api/ipc.ts'), 'utf8')).toMatch(/invoke</);
  });
});
