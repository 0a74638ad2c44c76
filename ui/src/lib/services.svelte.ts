// The services this desktop works with, and which one is in use.
import { servicesList } from '../api/services';
import { toAppError } from '../api/ipc';
import type { AppError } from '../bindings/AppError';
import type { ServiceView } from '../bindings/ServiceView';

const CURRENT_KEY = 'paydesk.currentService';

class Services {
  list = $state<ServiceView[]>([]);
  loaded = $state(false);
  error = $state<AppError | null>(null);
  currentId = $state<string | null>(globalThis.localStorage?.getItem(CURRENT_KEY) ?? null);

  current = $derived(this.list.find((s) => s.id === this.currentId) ?? this.list[0] ?? null);

  async refresh() {
    try {
      this.list = await servicesList();
      this.error = null;
    } catch (e) {
      this.error = toAppError(e);
    } finally {
      this.loaded = true;
    }
  }

  use(id: string) {
    this.currentId = id;
    globalThis.localStorage?.setItem(CURRENT_KEY, id);
  }
}

export const services = new Services();
