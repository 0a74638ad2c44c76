// Vitest: a fake Tauri IPC is installed per test with @tauri-apps/api/mocks.
import { clearMocks } from '@tauri-apps/api/mocks';
import { afterEach } from 'vitest';

afterEach(() => {
  clearMocks();
  document.body.innerHTML = '';
});
