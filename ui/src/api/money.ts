import type { ActionDone } from '../bindings/ActionDone';
import type { RefundDone } from '../bindings/RefundDone';
import { call } from './ipc';

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
