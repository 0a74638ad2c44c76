import { describe, expect, it } from 'vitest';
import { pageNumbers, parsePage } from './search.svelte';

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
