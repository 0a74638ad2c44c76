import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { SyncFinished } from '../bindings/SyncFinished';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncView } from '../bindings/SyncView';
import { call } from './ipc';

/** Starts a background sync; false when one is already running. */
export const syncStart = (serviceId: string): Promise<boolean> => call('sync_start', { serviceId });

export const syncStatus = (serviceId: string): Promise<SyncView> => call('sync_status', { serviceId });

export const syncCancel = (serviceId: string): Promise<void> => call('sync_cancel', { serviceId });

export function onSyncProgress(handler: (p: SyncProgress) => void): Promise<UnlistenFn> {
  return listen<SyncProgress>('sync-progress', (e) => handler(e.payload));
}

export function onSyncFinished(handler: (f: SyncFinished) => void): Promise<UnlistenFn> {
  return listen<SyncFinished>('sync-finished', (e) => handler(e.payload));
}
