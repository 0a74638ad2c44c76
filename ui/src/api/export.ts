import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { save } from '@tauri-apps/plugin-dialog';
import type { DayTotals } from '../bindings/DayTotals';
import type { ExportDone } from '../bindings/ExportDone';
import type { ExportProgress } from '../bindings/ExportProgress';
import type { PaymentQuery } from '../bindings/PaymentQuery';
import type { ResultsCsvDone } from '../bindings/ResultsCsvDone';
import { call } from './ipc';

/** Writes the CSV; an existing file is replaced only when `replace` says so. */
export const exportCsv = (serviceId: string, fromMs: number, toMs: number, path: string, replace = false): Promise<ExportDone> =>
  call('export_csv', { serviceId, fromMs, toMs, path, replace });

export const dailyTotals = (serviceId: string, dayStarts: number[]): Promise<DayTotals[]> =>
  call('daily_totals', { serviceId, dayStarts });

export const onExportProgress = (handler: (p: ExportProgress) => void): Promise<UnlistenFn> =>
  listen<ExportProgress>('export-progress', (e) => handler(e.payload));

/** The system's save dialog; the chosen path, or null when closed without one. */
export async function chooseSavePath(defaultPath: string): Promise<string | null> {
  try {
    return await save({ defaultPath, filters: [{ name: 'CSV file', extensions: ['csv'] }] });
  } catch {
    return null;
  }
}

/** Writes the payments the search finds as the admin tool's CSV; an existing
 * file is replaced only when `replace` says so. */
export const resultsCsv = (serviceId: string, query: PaymentQuery, path: string, replace = false): Promise<ResultsCsvDone> =>
  call('results_csv', { serviceId, query, path, replace });
