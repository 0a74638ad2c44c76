import { describe, expect, it } from 'vitest';
import { AMOUNT_MESSAGE } from '../../lib/amount';
import { checkRefundAmount, checkRefundReason } from './refund';

describe('checkRefundAmount', () => {
  it('reads pounds and pence', () => {
    expect(checkRefundAmount('10.50', 2000)).toEqual({ pence: 1050 });
    expect(checkRefundAmount('£7', 2000)).toEqual({ pence: 700 });
    expect(checkRefundAmount('0.5', 2000)).toEqual({ pence: 50 });
  });
  it('refuses what could be read two ways, and says how to write it', () => {
    for (const text of ['1,50', '12,5', '1,0.00', '1.5.0', 'ten', '1.234']) {
      expect(checkRefundAmount(text, 100_000), text).toEqual({ error: AMOUNT_MESSAGE });
    }
  });
  it('gives the admin tool messages for the range', () => {
    expect(checkRefundAmount('', 2000)).toEqual({ error: 'Enter the amount to refund' });
    expect(checkRefundAmount('20.01', 2000)).toEqual({
      error: 'Enter a refund amount greater than £0.00 and no more than £20.00',
    });
    expect(checkRefundAmount('0', 2000)).toHaveProperty('error');
  });
});

describe('checkRefundReason', () => {
  it('needs a reason, and a note when the reason is Other', () => {
    expect(checkRefundReason('overpayment', '')).toEqual([]);
    expect(checkRefundReason('', '').map((p) => p.field)).toEqual(['reason']);
    expect(checkRefundReason('other', '  ').map((p) => p.field)).toEqual(['reasonNote']);
    expect(checkRefundReason('other', 'Paid the wrong council')).toEqual([]);
  });
  it('counts characters as a person does, up to 255', () => {
    expect(checkRefundReason('goodwill', 'é'.repeat(255))).toEqual([]);
    expect(checkRefundReason('goodwill', '😀'.repeat(255))).toEqual([]);
    expect(checkRefundReason('goodwill', 'é'.repeat(256))).toEqual([
      { field: 'reasonNote', message: 'The note must be 255 characters or fewer' },
    ]);
    expect(checkRefundReason('goodwill', 'two\nlines').map((p) => p.field)).toEqual(['reasonNote']);
  });
});
