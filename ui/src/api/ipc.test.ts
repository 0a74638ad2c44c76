import { mockIPC } from '@tauri-apps/api/mocks';
import { describe, expect, it } from 'vitest';
import { call, CommandError, toAppError } from './ipc';

describe('call()', () => {
  it('passes the command name and arguments through and returns the result', async () => {
    const seen: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      seen.push({ cmd, args });
      return [{ id: 'a' }];
    });
    const result = await call<{ id: string }[]>('services_list');
    expect(result).toEqual([{ id: 'a' }]);
    expect(seen[0].cmd).toBe('services_list');
  });

  it('turns a backend AppError into a CommandError carrying it', async () => {
    mockIPC(() => {
      throw { code: 'validation', message: 'There is a problem', retryable: false, fields: [{ field: 'apiKey', message: 'Enter the API key' }] };
    });
    const err = (await call('services_add', { input: {} }).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err.error.code).toBe('validation');
    expect(err.error.fields?.[0].field).toBe('apiKey');
  });

  it('never shows staff a raw string thrown by Tauri', async () => {
    mockIPC(() => {
      throw 'Command services_list not allowed by ACL';
    });
    const err = (await call('services_list').catch((e: unknown) => e)) as CommandError;
    expect(err.error.code).toBe('internal');
    expect(err.error.message).not.toContain('ACL');
  });
});

describe('toAppError()', () => {
  it('rejects objects whose code is not one the UI knows', () => {
    expect(toAppError({ code: 'mystery', message: 'x' }).code).toBe('internal');
  });
});
