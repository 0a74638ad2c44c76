import type { ActionDone } from '../bindings/ActionDone';
import type { ReasonChoice } from '../bindings/ReasonChoice';
import type { RefundDone } from '../bindings/RefundDone';
import { call } from './ipc';

/**
 * `amount` as typed, in pounds and pence; `expectedAvailable` in pence, as the
 * screen showed it; `reason` a reason's code and `reasonNote` the note ('' for none).
 */
export const paymentRefund = (
  serviceId: string,
  paymentId: string,
  amount: string,
  expectedAvailable: number,
  reason: string,
  reasonNote: string,
): Promise<RefundDone> =>
  call('payment_refund', { serviceId, paymentId, amount, expectedAvailable, reason, reasonNote });

export const paymentCancel = (serviceId: string, paymentId: string): Promise<ActionDone> =>
  call('payment_cancel', { serviceId, paymentId });

export const paymentCapture = (serviceId: string, paymentId: string): Promise<ActionDone> =>
  call('payment_capture', { serviceId, paymentId });

/** The reasons a refund can be given, in the form's order, with their words. */
export const refundReasons = (): Promise<ReasonChoice[]> => call('refund_reasons');
