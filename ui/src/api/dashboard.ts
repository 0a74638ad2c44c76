import type { Dashboard } from '../bindings/Dashboard';
import type { DashboardQuery } from '../bindings/DashboardQuery';
import { call } from './ipc';

export const dashboard = (serviceId: string, query: DashboardQuery): Promise<Dashboard> =>
  call('dashboard', { serviceId, query });
