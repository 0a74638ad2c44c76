// How Paydesk writes money, times and states for people.
import type { Phase } from '../bindings/Phase';
import type { StatusGroup } from '../bindings/StatusGroup';

const GBP = new Intl.NumberFormat('en-GB', { style: 'currency', currency: 'GBP' });

/** `£1,234.56` from pence. */
export function pounds(pence: number): string {
  return GBP.format(pence / 100);
}

/** Pence as the refund box takes them: `12.50`. */
export function poundsPlain(pence: number): string {
  return (pence / 100).toFixed(2);
}

const DATE_TIME = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'Europe/London',
});

const DATE = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

/** `21 Nov 2026, 14:05`, UK time. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE_TIME.format(d);
}

/** `21 November 2026`, UK time. */
export function longDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE.format(d);
}

/** "just now", "2 minutes ago", "3 hours ago", "5 days ago". */
export function ago(ms: number, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 45) return 'just now';
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  const m = Math.round(s / 60);
  if (m < 60) return plural(m, 'minute');
  const h = Math.round(m / 60);
  if (h < 24) return plural(h, 'hour');
  return plural(Math.round(h / 24), 'day');
}

export interface StatusLook {
  label: string;
  tag: string;
}

/**
 * A payment's status in the words staff read everywhere: the results list, the
 * status filter, the payment page. The groups come from the core (StatusGroup):
 * GOV.UK Pay's `failed` is declined, timed out or cancelled by the payer,
 * told apart by its code.
 */
export const STATUS_WORDS: Record<StatusGroup, StatusLook> = {
  in_progress: { label: 'In progress', tag: 'govuk-tag--light-blue' },
  capturable: { label: 'Waiting for capture', tag: 'govuk-tag--yellow' },
  success: { label: 'Success', tag: 'govuk-tag--green' },
  declined: { label: 'Declined', tag: 'govuk-tag--red' },
  timed_out: { label: 'Timed out', tag: 'govuk-tag--grey' },
  cancelled_by_payer: { label: 'Cancelled by the payer', tag: 'govuk-tag--grey' },
  cancelled: { label: 'Cancelled', tag: 'govuk-tag--grey' },
  error: { label: 'Error', tag: 'govuk-tag--red' },
};

/** The group a payment's status and code put it in (the core's StatusGroup::of). */
export function statusGroup(status: string, code?: string | null): StatusGroup | null {
  switch (status) {
    case 'created':
    case 'started':
    case 'submitted':
      return 'in_progress';
    case 'failed':
      return code === 'P0020' ? 'timed_out' : code === 'P0030' ? 'cancelled_by_payer' : 'declined';
    case 'capturable':
    case 'success':
    case 'cancelled':
    case 'error':
      return status;
    default:
      return null;
  }
}

/** A payment's status with its GOV.UK tag colour. */
export function paymentStatus(status: string, code?: string | null): StatusLook {
  const group = statusGroup(status, code);
  return group ? STATUS_WORDS[group] : { label: status, tag: 'govuk-tag--grey' };
}

export function refundStatus(status: string): StatusLook {
  switch (status) {
    case 'success':
      return { label: 'Refunded', tag: 'govuk-tag--green' };
    case 'submitted':
      return { label: 'Submitted', tag: 'govuk-tag--light-blue' };
    case 'error':
      return { label: 'Failed', tag: 'govuk-tag--red' };
    default:
      return { label: status, tag: 'govuk-tag--grey' };
  }
}

export function disputeStatus(status: string): StatusLook {
  switch (status) {
    case 'needs_response':
      return { label: 'Needs response', tag: 'govuk-tag--red' };
    case 'under_review':
      return { label: 'Under review', tag: 'govuk-tag--yellow' };
    case 'won':
      return { label: 'Won', tag: 'govuk-tag--green' };
    case 'lost':
      return { label: 'Lost', tag: 'govuk-tag--grey' };
    default:
      return { label: status, tag: 'govuk-tag--grey' };
  }
}

export interface AgreementLook extends StatusLook {
  /** What the status means for the citizen, in a sentence. */
  hint: string;
}

export function agreementStatus(status: string): AgreementLook {
  switch (status) {
    case 'created':
      return { label: 'Created', tag: 'govuk-tag--light-blue', hint: 'Set up, waiting for the first payment to store a card' };
    case 'active':
      return { label: 'Active', tag: 'govuk-tag--green', hint: 'Active: payments can be taken under it' };
    case 'cancelled':
      return { label: 'Cancelled', tag: 'govuk-tag--grey', hint: 'Cancelled: no more payments can be taken' };
    case 'inactive':
      return { label: 'Inactive', tag: 'govuk-tag--yellow', hint: 'Inactive: the card can no longer be charged (expired or refused)' };
    default:
      return { label: status, tag: 'govuk-tag--grey', hint: status };
  }
}

/** Start of a day in UK time, as milliseconds, `days` from today (0 today, -1 yesterday). */
export function ukDayStart(days: number, now: Date = new Date()): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return ukMidnight(get('year'), get('month'), get('day') + days);
}

/** Start of this week (Monday) in UK time, as milliseconds. */
export function ukWeekStart(now: Date = new Date()): number {
  const weekday = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', weekday: 'short' }).format(now);
  const back = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(weekday);
  return ukDayStart(-Math.max(back, 0), now);
}

/** Midnight in London on a calendar date (months from 1; days may overflow). */
export function ukMidnight(year: number, month: number, day: number): number {
  return ukTime(year, month, day, 0, 0);
}

/** A time of day in London on a calendar date, as milliseconds. */
export function ukTime(year: number, month: number, day: number, hour: number, minute: number): number {
  const utc = Date.UTC(year, month - 1, day, hour, minute);
  // London is UTC or UTC+1: find the offset at that instant.
  const london = new Date(new Date(utc).toLocaleString('en-US', { timeZone: 'Europe/London' }));
  const asUtc = new Date(new Date(utc).toLocaleString('en-US', { timeZone: 'UTC' }));
  return utc - (london.getTime() - asUtc.getTime());
}

/** Audit actions and outcomes as staff read them (payment page and Activity). */
export const ACTION_WORDS: Record<string, string> = {
  refund: 'Refund',
  cancel: 'Cancel payment',
  capture: 'Capture payment',
  telephone_payment: 'Telephone payment',
  agreement_cancel: 'Cancel agreement',
  agreement_create: 'Set up agreement',
  staff_name: 'Staff name',
  refund_request: 'Refund asked for approval',
  refund_reject: 'Refund request rejected',
  refund_return: 'Refund request returned',
  refund_expire: 'Refund request expired',
  approval_rules: 'Approval rules set',
};

export const PHASE_WORDS: Record<Phase, string> = {
  attempt: 'Sent to GOV.UK Pay',
  not_sent: 'Stopped by Paydesk, not sent',
  succeeded: 'Done',
  failed: 'Refused by GOV.UK Pay',
  unknown: 'No answer from GOV.UK Pay',
  reconciled: 'Checked afterwards',
};
