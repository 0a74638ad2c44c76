import type { DisputeQuery } from '../bindings/DisputeQuery';
import type { DisputeRow } from '../bindings/DisputeRow';
import { call } from './ipc';

export const disputesList = (serviceId: string, query: DisputeQuery): Promise<DisputeRow[]> =>
  call('disputes_list', { serviceId, query });
