import type { Dashboard } from '../bindings/Dashboard';
import type { DashboardQuery } from '../bindings/DashboardQuery';
import type { AuditQuery } from '../bindings/AuditQuery';
import type { AuditRow } from '../bindings/AuditRow';
import type { AuditVerification } from '../bindings/AuditVerification';
import type { DisputeQuery } from '../bindings/DisputeQuery';
import type { DisputeRow } from '../bindings/DisputeRow';
import { call } from './ipc';

export const disputesList = (serviceId: string, query: DisputeQuery): Promise<DisputeRow[]> =>
  call('disputes_list', { serviceId, query });

export const activityList = (serviceId: string, query: AuditQuery): Promise<AuditRow[]> =>
  call('activity_list', { serviceId, query });

export const activityVerify = (serviceId: string): Promise<AuditVerification> =>
  call('activity_verify', { serviceId });

export const dashboard = (serviceId: string, query: DashboardQuery): Promise<Dashboard> =>
  call('dashboard', { serviceId, query });
