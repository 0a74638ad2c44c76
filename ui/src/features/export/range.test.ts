import { describe, expect, it } from 'vitest';
import { checkRange, niceTop, suggestedName, totals, ukDateText } from './range';

describe('the export range', () => {
  it('gives each UK day its start, across the clocks going back', () => {
    const r = checkRange('2026-10-24', '2026-10-26');
    if ('errors' in r) throw new Error('expected a range');
    expect(r.dayStarts).toHaveLength(4);
    // 24 Oct is BST (23:00 UTC the day before); 26 Oct is GMT.
    expect(new Date(r.fromMs).toISOString()).toBe('2026-10-23T23:00:00.000Z');
    expect(r.dayStarts[2] - r.dayStarts[1]).toBe(25 * 3_600_000);
    expect(new Date(r.toMs).toISOString()).toBe('2026-10-27T00:00:00.000Z');
  });

  it('names the field that is wrong', () => {
    const bad = checkRange('2026-02-30', '');
    expect('errors' in bad && bad.errors.map((e) => e.field)).toEqual(['fromDate', 'toDate']);
    const backwards = checkRange('2026-11-10', '2026-11-01');
    expect('errors' in backwards && backwards.errors[0].message).toContain('after the start date');
    const long = checkRange('2024-01-01', '2026-01-01');
    expect('errors' in long && long.errors[0].message).toContain('at most 400 days');
  });

  it('allows one day', () => {
    const r = checkRange('2026-11-20', '2026-11-20');
    expect('errors' in r ? r.errors : r.dayStarts.length).toBe(2);
  });

  it('writes UK dates and picks round chart tops', () => {
    expect(ukDateText(0, new Date('2026-06-30T23:30:00Z'))).toBe('2026-07-01');
    expect(niceTop(0)).toBe(100);
    expect(niceTop(12_345)).toBe(20_000);
    expect(niceTop(49_999_00)).toBe(50_000_00);
    expect(niceTop(50_001_00)).toBe(100_000_00);
  });

  it('adds up the days and suggests a safe file name', () => {
    const day = (p: number, r: number) => ({ dayStartMs: 0, payments: { count: 1, value: p }, refunds: { count: r ? 1 : 0, value: r } });
    expect(totals([day(1000, 0), day(250, 100)])).toEqual({ payments: 1250, refunds: 100, paymentCount: 2, refundCount: 1 });
    expect(suggestedName('Parking & Permits (Test)', '2026-11-01', '2026-11-30')).toBe('paydesk-parking-permits-test-2026-11-01-to-2026-11-30.csv');
  });
});
