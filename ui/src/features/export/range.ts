// The finance export's date range, in UK days, and the shape of its chart.
import type { DayTotals } from '../../bindings/DayTotals';
import type { FieldError } from '../../bindings/FieldError';
import { ukDayStart, ukMidnight } from '../../lib/format';

/** The chart and the export cover at most this many days (the core's limit too). */
export const MAX_DAYS = 400;

export interface Range {
  fromMs: number;
  toMs: number;
  /** Each day's start in UK time, then the end of the last day. */
  dayStarts: number[];
}

function parse(text: string): [number, number, number] | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return [y, mo, d];
}

/** The two dates (the end date included) as a range, or what is wrong, by field. */
export function checkRange(from: string, to: string): Range | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const f = parse(from);
  const t = parse(to);
  if (!f) errors.push({ field: 'fromDate', message: 'Enter a real start date, for example 01/11/2026' });
  if (!t) errors.push({ field: 'toDate', message: 'Enter a real end date, for example 30/11/2026' });
  if (!f || !t) return { errors };
  const end = ukMidnight(t[0], t[1], t[2] + 1);
  const dayStarts: number[] = [];
  for (let i = 0; i <= MAX_DAYS + 1; i++) {
    const start = ukMidnight(f[0], f[1], f[2] + i);
    dayStarts.push(start);
    if (start >= end) break;
  }
  if (end <= dayStarts[0]) {
    return { errors: [{ field: 'toDate', message: 'The end date must be the same as or after the start date' }] };
  }
  if (dayStarts[dayStarts.length - 1] !== end) {
    return { errors: [{ field: 'toDate', message: `Choose at most ${MAX_DAYS} days` }] };
  }
  return { fromMs: dayStarts[0], toMs: end, dayStarts };
}

/** `YYYY-MM-DD` of a UK day `days` from today (built from parts: locales differ in order). */
export function ukDateText(days: number, now: Date = new Date()): string {
  const at = new Date(ukDayStart(days, now) + 12 * 3_600_000);
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** A round top for the chart's money axis, in pence: 1, 2 or 5 times a power of ten pounds. */
export function niceTop(pence: number): number {
  if (pence <= 0) return 100;
  const pounds = pence / 100;
  const p = 10 ** Math.floor(Math.log10(pounds));
  const step = [1, 2, 5, 10].find((s) => s * p >= pounds) ?? 10;
  return step * p * 100;
}

export function totals(days: DayTotals[]): { payments: number; refunds: number; paymentCount: number; refundCount: number } {
  return days.reduce(
    (a, d) => ({
      payments: a.payments + d.payments.value,
      refunds: a.refunds + d.refunds.value,
      paymentCount: a.paymentCount + d.payments.count,
      refundCount: a.refundCount + d.refunds.count,
    }),
    { payments: 0, refunds: 0, paymentCount: 0, refundCount: 0 },
  );
}

/** The file name Paydesk suggests: service and dates, safe on every system. */
export function suggestedName(serviceName: string, from: string, to: string): string {
  return `paydesk-${serviceSlug(serviceName)}-${from}-to-${to}.csv`;
}

/** A service's name as it can stand in any system's file name. */
export function serviceSlug(serviceName: string): string {
  return serviceName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'service';
}
