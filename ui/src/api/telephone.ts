import type { CardInput } from '../bindings/CardInput';
import type { TelephoneOutcome } from '../bindings/TelephoneOutcome';
import type { TelephonePaymentInput } from '../bindings/TelephonePaymentInput';
import type { TelephonePaymentRow } from '../bindings/TelephonePaymentRow';
import { call } from './ipc';

/** Sends the card details once; the caller must clear its copy of them afterwards. */
export const telephonePaymentTake = (
  serviceId: string,
  input: TelephonePaymentInput,
  card: CardInput,
): Promise<TelephoneOutcome> => call('telephone_payment_take', { serviceId, input, card });

export const telephonePaymentsList = (serviceId: string, unfinishedOnly = false): Promise<TelephonePaymentRow[]> =>
  call('telephone_payments_list', { serviceId, unfinishedOnly });

export const telephonePaymentsCheck = (serviceId: string): Promise<TelephonePaymentRow[]> =>
  call('telephone_payments_check', { serviceId });
