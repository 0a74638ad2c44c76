// The one place that calls Tauri's invoke(). Every command goes through call(),
// which turns whatever the backend throws into the one AppError shape.
import { invoke } from '@tauri-apps/api/core';
import type { AppError } from '../bindings/AppError';
import type { ErrorCode } from '../bindings/ErrorCode';

const CODES: readonly ErrorCode[] = [
  'validation',
  'forbidden',
  'not_found',
  'unauthorized',
  'network',
  'rate_limited',
  'pay_api',
  'conflict',
  'outcome_unknown',
  'keyring',
  'storage',
  'internal',
];

/** An error thrown by a command, carrying the backend's AppError. */
export class CommandError extends Error {
  readonly error: AppError;
  constructor(error: AppError) {
    super(error.message);
    this.name = 'CommandError';
    this.error = error;
  }
}

function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.message === 'string' &&
    typeof v.code === 'string' &&
    (CODES as readonly string[]).includes(v.code)
  );
}

/** Normalises anything a command can throw into an AppError. */
export function toAppError(thrown: unknown): AppError {
  if (thrown instanceof CommandError) return thrown.error;
  if (isAppError(thrown)) return { ...thrown, retryable: Boolean(thrown.retryable) };
  // Tauri itself rejects with a plain string (for example a command the
  // capability does not grant). Never show it raw: it is not written for staff.
  return {
    code: 'internal',
    message: 'Something went wrong inside Paydesk. Try again; if it keeps happening, restart Paydesk',
    retryable: false,
  };
}

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (thrown) {
    throw new CommandError(toAppError(thrown));
  }
}

/** Zooms the window's page, as a browser's Ctrl and + does (`1` is 100%):
 * Tauri's own command, not one of Paydesk's. */
export const setWindowZoom = (value: number): Promise<void> =>
  call('plugin:webview|set_webview_zoom', { label: 'main', value });
