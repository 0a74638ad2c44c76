import type { PaymentQuery } from '../bindings/PaymentQuery';
import type { PaymentResults } from '../bindings/PaymentResults';
import { call } from './ipc';

export const paymentsSearch = (serviceId: string, query: PaymentQuery): Promise<PaymentResults> =>
  call('payments_search', { serviceId, query });

export const paymentsSearchLive = (serviceId: string, query: PaymentQuery): Promise<PaymentResults> =>
  call('payments_search_live', { serviceId, query });
