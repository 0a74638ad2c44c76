import type { About } from '../bindings/About';
import type { PolicyView } from '../bindings/PolicyView';
import { call } from './ipc';

export const policyGet = (): Promise<PolicyView> => call('policy_get');

export const aboutGet = (): Promise<About> => call('about_get');

/** Version, policy, services (no keys), sync state and the log's last lines. */
export const diagnosticsGet = (): Promise<string> => call('diagnostics_get');
