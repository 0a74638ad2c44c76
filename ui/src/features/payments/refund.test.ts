import { describe, expect, it } from 'vitest';
import { FORMAT_MESSAGE, checkRefundAmount } from './refund';

describe('checkRefundAmount', () => {
  it('reads pounds and pence', () => {
    expect(checkRefundAmount('10.50', 2000)).toEqual({ pence: 1050 });
    expect(checkRefundAmount('£7', 2000)).toEqual({ pence: 700 });
    expect(checkRefundAmount('0.5', 2000)).toEqual({ pence: 50 });
  });
  it('gives the admin tool messages', () => {
    expect(checkRefundAmount('ten', 2000)).toEqual({ error: FORMAT_MESSAGE });
    expect(checkRefundAmount('1.234', 2000)).toEqual({ error: FORMAT_MESSAGE });
    expect(checkRefundAmount('', 2000)).toEqual({ error: 'Enter the amount to refund' });
    expect(checkRefundAmount('20.01', 2000)).toEqual({
      error: 'Enter a refund amount greater than £0.00 and no more than £20.00',
    });
    expect(checkRefundAmount('0', 2000)).toHaveProperty('error');
  });
});
