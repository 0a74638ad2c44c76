// What the organisation's policy sets, read once at start: the banner when
// its file has a problem, and the About screen's "set by your organisation".
import { policyGet } from '../api/support';
import type { PolicyView } from '../bindings/PolicyView';

class PolicyState {
  view = $state<PolicyView | null>(null);

  async refresh() {
    try {
      this.view = await policyGet();
    } catch {
      // Nothing to show: the commands that matter say what is wrong themselves.
      this.view = null;
    }
  }

  /** The value the policy sets for a setting, if it does. */
  value(name: string): string | null {
    return this.view?.settings.find((s) => s.name === name)?.value ?? null;
  }
}

export const policy = new PolicyState();
