import { describe, expect, it } from 'vitest';
import { ago, paymentStatus, pounds, poundsPlain, ukDayStart, ukMidnight } from './format';

describe('format', () => {
  it('writes pence as pounds', () => {
    expect(pounds(123456)).toBe('£1,234.56');
    expect(pounds(5)).toBe('£0.05');
    expect(poundsPlain(1050)).toBe('10.50');
  });

  it('says how long ago in words', () => {
    const now = 1_000_000_000_000;
    expect(ago(now - 10_000, now)).toBe('just now');
    expect(ago(now - 60_000, now)).toBe('1 minute ago');
    expect(ago(now - 2 * 60_000, now)).toBe('2 minutes ago');
    expect(ago(now - 3 * 3_600_000, now)).toBe('3 hours ago');
    expect(ago(now - 5 * 86_400_000, now)).toBe('5 days ago');
  });

  it('finds midnight in London in winter and in summer time', () => {
    expect(new Date(ukMidnight(2026, 1, 15)).toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(new Date(ukMidnight(2026, 7, 15)).toISOString()).toBe('2026-07-14T23:00:00.000Z');
    const today = ukDayStart(0, new Date('2026-07-15T10:00:00Z'));
    expect(new Date(today).toISOString()).toBe('2026-07-14T23:00:00.000Z');
    expect(ukDayStart(-1, new Date('2026-07-15T10:00:00Z'))).toBe(today - 86_400_000);
  });

  it('names states as the admin tool does', () => {
    expect(paymentStatus('failed').label).toBe('Declined');
    expect(paymentStatus('failed', 'P0010').label).toBe('Declined');
    expect(paymentStatus('success').tag).toBe('govuk-tag--green');
  });

  it('does not call a timed-out or payer-cancelled payment declined', () => {
    expect(paymentStatus('failed', 'P0020')).toEqual({ label: 'Timed out', tag: 'govuk-tag--grey' });
    expect(paymentStatus('failed', 'P0030')).toEqual({ label: 'Cancelled by the payer', tag: 'govuk-tag--grey' });
    expect(paymentStatus('cancelled', 'P0040').label).toBe('Cancelled');
    expect(paymentStatus('capturable').label).toBe('Waiting for capture');
  });
});
