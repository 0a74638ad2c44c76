// Whether this desktop works on a team's database, and is signed in to it.
import { toAppError } from '../api/ipc';
import { teamGet } from '../api/team';
import type { AppError } from '../bindings/AppError';
import type { TeamView } from '../bindings/TeamView';

class Team {
  view = $state<TeamView | null>(null);
  error = $state<AppError | null>(null);

  loaded = $derived(this.view !== null || this.error !== null);
  /** In a team and not signed in yet: nothing else can be done. */
  needsSignIn = $derived(this.view?.address != null && !this.view.signedIn);

  async refresh() {
    try {
      this.view = await teamGet();
      this.error = null;
    } catch (e) {
      this.error = toAppError(e);
    }
  }

  set(view: TeamView) {
    this.view = view;
  }
}

export const team = new Team();
