import type { ActionDone } from '../bindings/ActionDone';
import type { PaymentDetail } from '../bindings/PaymentDetail';
import type { PaymentQuery } from '../bindings/PaymentQuery';
import type { PaymentResults } from '../bindings/PaymentResults';
import type { RefundDone } from '../bindings/RefundDone';
import { call } from './ipc';

export const paymentsSearch = (serviceId: string, query: PaymentQuery): Promise<PaymentResults> =>
  call('payments_search', { serviceId, query });

export const paymentsSearchLive = (serviceId: string, query: PaymentQuery): Promise<PaymentResults> =>
  call('payments_search_live', { serviceId, query });

export const paymentDetail = (serviceId: string, paymentId: string): Promise<PaymentDetail> =>
  call('payment_detail', { serviceId, paymentId });

/** `amount` as typed, in pounds and pence; `expectedAvailable` in pence, as the screen showed it. */
export const paymentRefund = (
  serviceId: string,
  paymentId: string,
  amount: string,
  expectedAvailable: number,
): Promise<RefundDone> => call('payment_refund', { serviceId, paymentId, amount, expectedAvailable });

export const paymentCancel = (serviceId: string, paymentId: string): Promise<ActionDone> =>
  call('payment_cancel', { serviceId, paymentId });

export const paymentCapture = (serviceId: string, paymentId: string): Promise<ActionDone> =>
  call('payment_capture', { serviceId, paymentId });
