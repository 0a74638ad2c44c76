import type { CardInput } from '../bindings/CardInput';
import type { TelephoneOutcome } from '../bindings/TelephoneOutcome';
import type { TelephonePaymentInput } from '../bindings/TelephonePaymentInput';
import type { TelephonePaymentRow } from '../bindings/TelephonePaymentRow';
import type { TelephoneStarted } from '../bindings/TelephoneStarted';
import { call } from './ipc';

/** Creates the GOV.UK Pay payment, before any card detail is typed. */
export const telephonePaymentStart = (serviceId: string, input: TelephonePaymentInput): Promise<TelephoneStarted> =>
  call('telephone_payment_start', { serviceId, input });

/** Payments taken in the last 30 minutes that look like this one. */
export const telephonePaymentDuplicates = (serviceId: string, paymentId: string, last4: string): Promise<TelephonePaymentRow[]> =>
  call('telephone_payment_duplicates', { serviceId, paymentId, last4 });

/** Sends the card details once; the caller must clear its copy of them afterwards. */
export const telephonePaymentAuthorise = (
  serviceId: string,
  paymentId: string,
  card: CardInput,
  duplicatesConfirmed: boolean,
): Promise<TelephoneOutcome> => call('telephone_payment_authorise', { serviceId, paymentId, card, duplicatesConfirmed });

/** Cancels a payment abandoned at the card step (no card detail was sent). */
export const telephonePaymentAbandon = (serviceId: string, paymentId: string): Promise<void> =>
  call('telephone_payment_abandon', { serviceId, paymentId });

export const telephonePaymentsList = (serviceId: string, unfinishedOnly = false): Promise<TelephonePaymentRow[]> =>
  call('telephone_payments_list', { serviceId, unfinishedOnly });

export const telephonePaymentsCheck = (serviceId: string): Promise<TelephonePaymentRow[]> =>
  call('telephone_payments_check', { serviceId });
