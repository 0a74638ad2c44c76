// Who is using this desktop. Until they have said, Paydesk asks before anything else.
import { toAppError } from '../api/ipc';
import { staffGet } from '../api/staff';
import type { AppError } from '../bindings/AppError';
import type { StaffView } from '../bindings/StaffView';

class Staff {
  view = $state<StaffView | null>(null);
  error = $state<AppError | null>(null);
  /** The name form is open to change the name (it is always open while there is none). */
  editing = $state(false);

  name = $derived(this.view?.name ?? null);
  loaded = $derived(this.view !== null || this.error !== null);

  async refresh() {
    try {
      this.view = await staffGet();
      this.error = null;
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  set(view: StaffView) {
    this.view = view;
    this.editing = false;
  }
}

export const staff = new Staff();
