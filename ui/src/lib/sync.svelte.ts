// The cache's freshness for each service, and the background sync's progress.
import { onSyncFinished, onSyncProgress, syncStart, syncStatus } from '../api/sync';
import { toAppError } from '../api/ipc';
import type { AppError } from '../bindings/AppError';
import type { SyncProgress } from '../bindings/SyncProgress';
import type { SyncView } from '../bindings/SyncView';

/** A cache older than this is refreshed when its service's payments are opened. */
const STALE_AFTER_MS = 5 * 60 * 1000;

class Sync {
  views = $state<Record<string, SyncView>>({});
  progress = $state<Record<string, SyncProgress | null>>({});
  errors = $state<Record<string, AppError | null>>({});
  /** Bumped when a sync finishes, so screens can search again. */
  generation = $state(0);
  private listening = false;

  private async listen() {
    if (this.listening) return;
    this.listening = true;
    try {
      await onSyncProgress((p) => {
        this.progress[p.serviceId] = p;
      });
      await onSyncFinished((f) => {
        this.progress[f.serviceId] = null;
        this.errors[f.serviceId] = f.error;
        this.generation += 1;
        void this.refresh(f.serviceId);
      });
    } catch {
      // No event channel (unit tests): status is still read on demand.
    }
  }

  async refresh(serviceId: string) {
    try {
      const view = await syncStatus(serviceId);
      this.views[serviceId] = view;
      if (view.running && view.progress) this.progress[serviceId] = view.progress;
      if (!view.running) this.progress[serviceId] = null;
    } catch (e) {
      this.errors[serviceId] = toAppError(e);
    }
  }

  running(serviceId: string): boolean {
    return Boolean(this.progress[serviceId]) || Boolean(this.views[serviceId]?.running);
  }

  async start(serviceId: string) {
    await this.listen();
    this.errors[serviceId] = null;
    try {
      await syncStart(serviceId);
      await this.refresh(serviceId);
    } catch (e) {
      this.errors[serviceId] = toAppError(e);
    }
  }

  /** Syncs when the cache is empty or older than a few minutes. */
  async startIfStale(serviceId: string) {
    await this.listen();
    await this.refresh(serviceId);
    const last = this.views[serviceId]?.status.lastSyncedMs;
    if (!this.running(serviceId) && (last == null || Date.now() - last > STALE_AFTER_MS)) {
      await this.start(serviceId);
    }
  }
}

export const sync = new Sync();
