import type { AuditQuery } from '../bindings/AuditQuery';
import type { AuditRow } from '../bindings/AuditRow';
import type { AuditVerification } from '../bindings/AuditVerification';
import { call } from './ipc';

export const activityList = (serviceId: string, query: AuditQuery): Promise<AuditRow[]> =>
  call('activity_list', { serviceId, query });

export const activityVerify = (serviceId: string): Promise<AuditVerification> =>
  call('activity_verify', { serviceId });

export const activityPeople = (serviceId: string): Promise<string[]> =>
  call('activity_people', { serviceId });
