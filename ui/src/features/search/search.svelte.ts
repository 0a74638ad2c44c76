// The caseworker's search, kept while they open payments and come back.
import { paymentsSearch, paymentsSearchLive } from '../../api/search';
import { toAppError } from '../../api/ipc';
import type { AppError } from '../../bindings/AppError';
import type { PaymentQuery } from '../../bindings/PaymentQuery';
import type { PaymentResults } from '../../bindings/PaymentResults';
import type { SortBy } from '../../bindings/SortBy';
import { ukDayStart, ukMidnight } from '../../lib/format';

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
  cardBrand: string;
  state: string;
  metadataValue: string;
  preset: DatePreset;
  /** `YYYY-MM-DD` from a date input. */
  fromDate: string;
  toDate: string;
}

export const emptyFilters = (): Filters => ({
  reference: '',
  email: '',
  cardholderName: '',
  first6: '',
  last4: '',
  cardBrand: '',
  state: '',
  metadataValue: '',
  preset: 'any',
  fromDate: '',
  toDate: '',
});

function day(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? ukMidnight(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
}

/** The date range a preset or the two date boxes mean, in UK days. */
export function dateRange(f: Filters, now: Date = new Date()): { fromMs?: number; toMs?: number } {
  switch (f.preset) {
    case 'today':
      return { fromMs: ukDayStart(0, now) };
    case 'yesterday':
      return { fromMs: ukDayStart(-1, now), toMs: ukDayStart(0, now) };
    case 'last7':
      return { fromMs: ukDayStart(-6, now) };
    case 'last30':
      return { fromMs: ukDayStart(-29, now) };
    case 'custom': {
      // The end date is included: search up to the start of the next day.
      return { fromMs: day(f.fromDate), toMs: ukNextDay(f.toDate) };
    }
    default:
      return {};
  }
}

function ukNextDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  return m ? ukMidnight(Number(m[1]), Number(m[2]), Number(m[3]) + 1) : undefined;
}

const blank = (s: string) => (s.trim() === '' ? undefined : s.trim());

/** The results-per-page choices. */
export const PAGE_SIZES = [20, 50, 100] as const;

export function buildQuery(text: string, f: Filters, sort: SortBy, ascending: boolean, page: number, pageSize = 20): PaymentQuery {
  return {
    text: blank(text),
    reference: blank(f.reference),
    email: blank(f.email),
    cardholderName: blank(f.cardholderName),
    first6: blank(f.first6),
    last4: blank(f.last4),
    cardBrand: blank(f.cardBrand),
    state: blank(f.state),
    metadataValue: blank(f.metadataValue),
    ...dateRange(f),
    sort,
    ascending,
    page,
    pageSize,
  };
}

class PaymentSearch {
  text = $state('');
  filters = $state<Filters>(emptyFilters());
  sort = $state<SortBy>('date');
  ascending = $state(false);
  page = $state(1);
  /** Results per page: one of `PAGE_SIZES`. */
  pageSize = $state(20);
  /** Whether the filters are shown: the person's choice, never closed by a
   * filter emptied while it is being edited (their next keystrokes would be lost). */
  filtersOpen = $state(false);
  results = $state<PaymentResults | null>(null);
  /** The results came from GOV.UK Pay itself, not the cache. */
  live = $state(false);
  error = $state<AppError | null>(null);
  busy = $state(false);
  /** The search-box text the shown results answer (benchmarks wait for it). */
  renderedText = $state<string | null>(null);
  private seq = 0;

  /** Searches the cache. Answers that arrive after a newer search are dropped. */
  async run(serviceId: string) {
    const mine = ++this.seq;
    const text = this.text;
    try {
      const results = await paymentsSearch(serviceId, buildQuery(this.text, this.filters, this.sort, this.ascending, this.page, this.pageSize));
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
    const mine = ++this.seq;
    this.busy = true;
    try {
      const results = await paymentsSearchLive(serviceId, buildQuery(this.text, this.filters, this.sort, this.ascending, this.page));
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
