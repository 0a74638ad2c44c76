// The caseworker's search, kept while they open payments and come back.
import { paymentsSearch, paymentsSearchLive } from '../../api/search';
import { toAppError } from '../../api/ipc';
import type { AppError } from '../../bindings/AppError';
import type { PaymentQuery } from '../../bindings/PaymentQuery';
import type { PaymentResults } from '../../bindings/PaymentResults';
import type { DisputeFilter } from '../../bindings/DisputeFilter';
import type { FieldError } from '../../bindings/FieldError';
import type { RefundFilter } from '../../bindings/RefundFilter';
import type { SortBy } from '../../bindings/SortBy';
import { parsePence } from '../../lib/amount';
import { ukDayStart, ukTime } from '../../lib/format';

export type DatePreset = 'any' | 'today' | 'yesterday' | 'last7' | 'last30' | 'custom';

export const DATE_PRESETS: { id: DatePreset; label: string }[] = [
  { id: 'any', label: 'Any time' },
  { id: 'today', label: 'Today' },
  { id: 'yesterday', label: 'Yesterday' },
  { id: 'last7', label: 'Last 7 days' },
  { id: 'last30', label: 'Last 30 days' },
  { id: 'custom', label: 'Choose dates' },
];

export interface Filters {
  reference: string;
  email: string;
  cardholderName: string;
  first6: string;
  last4: string;
  /** Any of these brands; none chosen is any brand. */
  cardBrands: string[];
  /** Any of these statuses (`StatusGroup` values); none chosen is any status. */
  states: string[];
  /** Pounds, as typed. */
  amountFrom: string;
  amountTo: string;
  refunds: RefundFilter | '';
  dispute: DisputeFilter | '';
  metadataValue: string;
  preset: DatePreset;
  /** Day/month/year, with a time if wanted, as typed (`27/3/2026 14:30`). */
  fromDate: string;
  toDate: string;
}

export const emptyFilters = (): Filters => ({
  reference: '',
  email: '',
  cardholderName: '',
  first6: '',
  last4: '',
  cardBrands: [],
  states: [],
  amountFrom: '',
  amountTo: '',
  refunds: '',
  dispute: '',
  metadataValue: '',
  preset: 'any',
  fromDate: '',
  toDate: '',
});

/** A UK date typed as day/month/year, with a time (24-hour) if given. */
export function parseUkDate(text: string): { ms: number; timed: boolean; y: number; m: number; d: number } | null {
  const t = /^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?:\s*,?\s+(\d{1,2})[:.](\d{2}))?\s*$/.exec(text);
  if (!t) return null;
  const [d, m, y] = [Number(t[1]), Number(t[2]), Number(t[3])];
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d || y < 2000) return null;
  const timed = t[4] !== undefined;
  const [hh, mm] = timed ? [Number(t[4]), Number(t[5])] : [0, 0];
  if (hh > 23 || mm > 59) return null;
  return { ms: ukTime(y, m, d, hh, mm), timed, y, m, d };
}

/** The date range a preset or the two date boxes mean, in UK time; what is
 * wrong with the boxes, by field. The end is included: the whole day when
 * no time is given, else the whole minute. */
export function dateRange(f: Filters, now: Date = new Date()): { fromMs?: number; toMs?: number; errors: FieldError[] } {
  switch (f.preset) {
    case 'today':
      return { fromMs: ukDayStart(0, now), errors: [] };
    case 'yesterday':
      return { fromMs: ukDayStart(-1, now), toMs: ukDayStart(0, now), errors: [] };
    case 'last7':
      return { fromMs: ukDayStart(-6, now), errors: [] };
    case 'last30':
      return { fromMs: ukDayStart(-29, now), errors: [] };
    case 'custom': {
      const errors: FieldError[] = [];
      const from = f.fromDate.trim() === '' ? undefined : parseUkDate(f.fromDate);
      const to = f.toDate.trim() === '' ? undefined : parseUkDate(f.toDate);
      if (from === null) errors.push({ field: 'fromDate', message: 'Enter the start as day/month/year, with a time if you want one, like 27/3/2026 or 27/3/2026 14:30' });
      if (to === null) errors.push({ field: 'toDate', message: 'Enter the end as day/month/year, with a time if you want one, like 28/3/2026 or 28/3/2026 09:00' });
      const toMs = to ? (to.timed ? to.ms + 60_000 : ukTime(to.y, to.m, to.d + 1, 0, 0)) : undefined;
      if (from && toMs !== undefined && from.ms >= toMs) errors.push({ field: 'toDate', message: 'The end must be after the start' });
      return { fromMs: from?.ms, toMs, errors };
    }
    default:
      return { errors: [] };
  }
}

/** The amount range typed, in pence, or what is wrong with it, by field. */
export function amountRange(f: Filters): { amountFrom?: number; amountTo?: number; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const read = (text: string, field: string, name: string) => {
    const p = parsePence(text);
    if (p === null) errors.push({ field, message: `${name} must be an amount in pounds and pence, like 12.50` });
    return typeof p === 'number' ? p : undefined;
  };
  const amountFrom = read(f.amountFrom, 'amountFrom', 'Amount from');
  const amountTo = read(f.amountTo, 'amountTo', 'Amount to');
  if (amountFrom !== undefined && amountTo !== undefined && amountFrom > amountTo) {
    errors.push({ field: 'amountFrom', message: 'Amount from must not be more than amount to' });
  }
  return { amountFrom, amountTo, errors };
}

const blank = (s: string) => (s.trim() === '' ? undefined : s.trim());

/** The results-per-page choices. */
export const PAGE_SIZES = [20, 50, 100] as const;

/** The query the filters ask for, or what is wrong with them, by field:
 * nothing is sent to the core until every filter reads as it should. */
export function buildQuery(text: string, f: Filters, sort: SortBy, ascending: boolean, page: number, pageSize = 20): PaymentQuery | { errors: FieldError[] } {
  const { errors: dateErrors, ...dates } = dateRange(f);
  const { errors: amountErrors, ...amounts } = amountRange(f);
  const errors = [...amountErrors, ...dateErrors];
  if (errors.length > 0) return { errors };
  return {
    text: blank(text),
    reference: blank(f.reference),
    email: blank(f.email),
    cardholderName: blank(f.cardholderName),
    first6: blank(f.first6),
    last4: blank(f.last4),
    states: f.states.length > 0 ? [...f.states] : undefined,
    cardBrands: f.cardBrands.length > 0 ? [...f.cardBrands] : undefined,
    ...amounts,
    refunds: f.refunds || undefined,
    dispute: f.dispute || undefined,
    metadataValue: blank(f.metadataValue),
    ...dates,
    sort,
    ascending,
    page,
    pageSize,
  };
}

/** A check the UI made itself, as the core would say it. */
const refused = (errors: FieldError[]): AppError => ({
  code: 'validation',
  message: 'There is a problem with the filters',
  retryable: false,
  fields: errors,
});

/** The last page the core will fetch (its `MAX_PAGE`). */
export const MAX_PAGE = 50_000;

/** What a caseworker set up for one service's list, kept while they work on another. */
interface Kept {
  filters: Filters;
  sort: SortBy;
  ascending: boolean;
  pageSize: number;
}

class PaymentSearch {
  text = $state('');
  filters = $state<Filters>(emptyFilters());
  sort = $state<SortBy>('date');
  ascending = $state(false);
  page = $state(1);
  /** Results per page: one of `PAGE_SIZES`. */
  pageSize = $state<number>(PAGE_SIZES[0]);
  /** Whether the filters show where they sit above the results (a narrow
   * window): hidden only when the person hides them. */
  filtersShown = $state(true);
  results = $state<PaymentResults | null>(null);
  /** The results came from GOV.UK Pay itself, not the cache. */
  live = $state(false);
  error = $state<AppError | null>(null);
  busy = $state(false);
  /** The search-box text the shown results answer (benchmarks wait for it). */
  renderedText = $state<string | null>(null);
  /** The service the filters, sort and page size above were set for. */
  private serviceId: string | null = null;
  /** The other services' filters, sort and page size, by service id (memory only). */
  private kept = new Map<string, Kept>();
  /** Where the list was scrolled to, and the payment opened from it, kept
   * while that payment is open so that Back returns to the same place. */
  scrollY = 0;
  openedId: string | null = null;
  private seq = 0;

  /**
   * Makes the search the one set up for `serviceId`: what was set for the
   * service in use is put away, and what was set for this one (nothing, the
   * first time) comes back, so one service's filters never narrow another's
   * list unseen. The search-box text stays: it is in plain view.
   */
  forService(serviceId: string) {
    if (this.serviceId === serviceId) return;
    if (this.serviceId !== null) {
      this.kept.set(this.serviceId, {
        filters: $state.snapshot(this.filters),
        sort: this.sort,
        ascending: this.ascending,
        pageSize: this.pageSize,
      });
    }
    const kept = this.kept.get(serviceId);
    this.filters = kept ? structuredClone(kept.filters) : emptyFilters();
    this.sort = kept?.sort ?? 'date';
    this.ascending = kept?.ascending ?? false;
    this.pageSize = kept?.pageSize ?? PAGE_SIZES[0];
    this.page = 1;
    this.serviceId = serviceId;
    // The other service's payments are not shown under this one's name.
    this.seq++;
    this.results = null;
    this.live = false;
    this.error = null;
    this.renderedText = null;
  }

  /** A blank search for every service, as when Paydesk opens. */
  reset() {
    this.kept.clear();
    this.serviceId = null;
    this.filtersShown = true;
    this.text = '';
    this.filters = emptyFilters();
    this.sort = 'date';
    this.ascending = false;
    this.page = 1;
    this.pageSize = PAGE_SIZES[0];
    this.seq++;
    this.results = null;
    this.live = false;
    this.error = null;
    this.busy = false;
    this.renderedText = null;
  }

  /** Searches the cache. Answers that arrive after a newer search are dropped. */
  async run(serviceId: string) {
    this.forService(serviceId);
    const mine = ++this.seq;
    const text = this.text;
    const query = buildQuery(this.text, this.filters, this.sort, this.ascending, this.page, this.pageSize);
    if ('errors' in query) {
      this.error = refused(query.errors);
      return;
    }
    try {
      const results = await paymentsSearch(serviceId, query);
      if (mine !== this.seq) return;
      this.results = results;
      this.live = false;
      this.error = null;
      this.renderedText = text;
    } catch (e) {
      if (mine === this.seq) this.error = toAppError(e);
    }
  }

  async runLive(serviceId: string) {
    this.forService(serviceId);
    const mine = ++this.seq;
    const query = buildQuery(this.text, this.filters, this.sort, this.ascending, this.page, this.pageSize);
    if ('errors' in query) {
      this.error = refused(query.errors);
      return;
    }
    this.busy = true;
    try {
      const results = await paymentsSearchLive(serviceId, query);
      if (mine !== this.seq) return;
      this.results = results;
      this.live = true;
      this.error = null;
    } catch (e) {
      if (mine === this.seq) this.error = toAppError(e);
    } finally {
      this.busy = false;
    }
  }

  clearFilters() {
    this.filters = emptyFilters();
    this.page = 1;
  }
}

export const paymentSearch = new PaymentSearch();

/**
 * The page numbers a pager shows: the first, the pages either side of the
 * current one, and the last when it is known, with `null` for a gap. A gap of
 * one page shows that page instead. With the last page unknown (over 5,000
 * matches) a gap follows the current page's neighbour while there are more.
 */
export function pageNumbers(current: number, last: number | null, hasNext: boolean): (number | null)[] {
  const end = last ?? (hasNext ? current + 1 : current);
  const wanted = [1, current - 1, current, current + 1, end].filter((p) => p >= 1 && p <= end);
  const pages = [...new Set(wanted)].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  for (const p of pages) {
    const prev = out.length > 0 ? out[out.length - 1] : null;
    if (prev !== null && p - prev === 2) out.push(p - 1);
    else if (prev !== null && p - prev > 2) out.push(null);
    out.push(p);
  }
  if (last === null && hasNext) out.push(null);
  return out;
}

/** A page number typed into "Go to page", or why it is not one. */
export function parsePage(text: string, max: number): { page: number } | { error: string } {
  const t = text.trim();
  if (t === '') return { error: 'Enter a page number in Go to page' };
  if (!/^\d+$/.test(t)) return { error: 'Go to page must be a whole number, like 2' };
  const page = Number(t);
  if (page < 1) return { error: 'Go to page must be 1 or more' };
  if (page > max) return { error: `Go to page must be ${max.toLocaleString('en-GB')} or less` };
  return { page };
}
