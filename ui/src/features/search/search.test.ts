import { describe, expect, it } from 'vitest';
import { amountRange, buildQuery, dateRange, emptyFilters, pageNumbers, parsePage, parseUkDate } from './search.svelte';
import { ukMidnight, ukTime } from '../../lib/format';

describe('pageNumbers', () => {
  it('shows the first, the last and the current page with its neighbours', () => {
    expect(pageNumbers(1, 1, false)).toEqual([1]);
    expect(pageNumbers(1, 20, true)).toEqual([1, 2, null, 20]);
    expect(pageNumbers(10, 20, true)).toEqual([1, null, 9, 10, 11, null, 20]);
    // A gap of one page shows the page.
    expect(pageNumbers(4, 20, true)).toEqual([1, 2, 3, 4, 5, null, 20]);
    expect(pageNumbers(20, 20, false)).toEqual([1, null, 19, 20]);
  });

  it('shows no last page when it is not known, and a gap while there are more', () => {
    expect(pageNumbers(1, null, true)).toEqual([1, 2, null]);
    expect(pageNumbers(300, null, true)).toEqual([1, null, 299, 300, 301, null]);
    expect(pageNumbers(300, null, false)).toEqual([1, null, 299, 300]);
  });
});

describe('parsePage', () => {
  it('takes a whole number from 1 to the highest page', () => {
    expect(parsePage(' 12 ', 50_000)).toEqual({ page: 12 });
    expect(parsePage('50000', 50_000)).toEqual({ page: 50_000 });
  });

  it('names the box in what is wrong', () => {
    expect(parsePage('', 20)).toEqual({ error: 'Enter a page number in Go to page' });
    expect(parsePage('abc', 20)).toEqual({ error: 'Go to page must be a whole number, like 2' });
    expect(parsePage('2.5', 20)).toEqual({ error: 'Go to page must be a whole number, like 2' });
    expect(parsePage('-1', 20)).toEqual({ error: 'Go to page must be a whole number, like 2' });
    expect(parsePage('0', 20)).toEqual({ error: 'Go to page must be 1 or more' });
    expect(parsePage('21', 20)).toEqual({ error: 'Go to page must be 20 or less' });
    expect(parsePage('50001', 50_000)).toEqual({ error: 'Go to page must be 50,000 or less' });
  });
});

describe('UK dates in the filters', () => {
  it('reads day/month/year, with a time if given, in London time', () => {
    expect(parseUkDate('27/3/2026')?.ms).toBe(ukMidnight(2026, 3, 27));
    expect(parseUkDate(' 1.11.2026 14:30 ')?.ms).toBe(ukTime(2026, 11, 1, 14, 30));
    // Summer time: 09:00 in London is 08:00 UTC.
    expect(parseUkDate('1/7/2026 09:00')?.ms).toBe(Date.UTC(2026, 6, 1, 8, 0));
    for (const bad of ['2026-03-27', '31/2/2026', '27/13/2026', '27/3/26', '27/3/2026 25:00', 'tomorrow']) {
      expect(parseUkDate(bad), bad).toBeNull();
    }
  });

  it('includes the whole end day, or the end minute, and names a wrong box', () => {
    const f = { ...emptyFilters(), preset: 'custom' as const, fromDate: '27/3/2026', toDate: '28/3/2026' };
    expect(dateRange(f)).toEqual({ fromMs: ukMidnight(2026, 3, 27), toMs: ukMidnight(2026, 3, 29), errors: [] });
    const timed = dateRange({ ...f, toDate: '28/3/2026 09:15' });
    expect(timed.toMs).toBe(ukTime(2026, 3, 28, 9, 16));
    expect(dateRange({ ...f, fromDate: '2026-03-27' }).errors.map((e) => e.field)).toEqual(['fromDate']);
    expect(dateRange({ ...f, fromDate: '29/3/2026' }).errors).toEqual([{ field: 'toDate', message: 'The end must be after the start' }]);
  });
});

describe('amounts in the filters', () => {
  it('reads pounds as pence and names the box that is not an amount', () => {
    const f = { ...emptyFilters(), amountFrom: '£10', amountTo: '45.50' };
    expect(amountRange(f)).toEqual({ amountFrom: 1000, amountTo: 4550, errors: [] });
    expect(amountRange({ ...f, amountTo: 'ten' }).errors.map((e) => e.field)).toEqual(['amountTo']);
    expect(amountRange({ ...f, amountFrom: '50' }).errors.map((e) => e.field)).toEqual(['amountFrom']);
  });

  it('sends nothing to the core while a filter does not read', () => {
    const f = { ...emptyFilters(), amountFrom: 'x', states: ['success', 'declined'], cardBrands: ['Visa'] };
    expect(buildQuery('', f, 'date', false, 1)).toMatchObject({ errors: [{ field: 'amountFrom' }] });
    const q = buildQuery('', { ...f, amountFrom: '5', refunds: 'refunded', dispute: 'won' }, 'date', false, 1);
    expect(q).toMatchObject({ states: ['success', 'declined'], cardBrands: ['Visa'], amountFrom: 500, refunds: 'refunded', dispute: 'won' });
    expect(buildQuery('', emptyFilters(), 'date', false, 1)).toMatchObject({ states: undefined, cardBrands: undefined, refunds: undefined });
  });
});
