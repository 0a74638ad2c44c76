import type { StaffView } from '../bindings/StaffView';
import { call } from './ipc';

export const staffGet = (): Promise<StaffView> => call('staff_get');

export const staffSetName = (name: string): Promise<StaffView> => call('staff_set_name', { name });
