import type { ServiceView } from '../bindings/ServiceView';
import { call } from './ipc';

export const sandboxStart = (): Promise<ServiceView> => call('sandbox_start');
