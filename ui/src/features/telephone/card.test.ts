import { describe, expect, it } from 'vitest';
import { cardBrand, checkCard, checkPayment, formatExpiry, groupCardNumber, luhnValid, penceOf } from './card';

const good = { cardNumber: '4444 3333 2222 1111', expiryDate: '12/30', cvc: '123', cardholderName: 'Jo Bloggs' };
const now = new Date('2026-11-22T10:00:00Z');

describe('card checks', () => {
  it('knows Luhn', () => {
    expect(luhnValid('4444333322221111')).toBe(true);
    expect(luhnValid('4444333322221112')).toBe(false);
  });

  it('recognises brands', () => {
    expect(cardBrand('4444')).toBe('Visa');
    expect(cardBrand('5101')).toBe('Mastercard');
    expect(cardBrand('2221')).toBe('Mastercard');
    expect(cardBrand('3714')).toBe('American Express');
    expect(cardBrand('3528')).toBe('JCB');
    expect(cardBrand('9')).toBeNull();
  });

  it('groups the number as typed', () => {
    expect(groupCardNumber('4444333322221111')).toBe('4444 3333 2222 1111');
    expect(groupCardNumber('44443')).toBe('4444 3');
    expect(groupCardNumber('371449635398431')).toBe('3714 496353 98431');
    expect(formatExpiry('1230')).toBe('12/30');
    expect(formatExpiry('1')).toBe('1');
  });

  it('passes good details and names each bad field', () => {
    expect(checkCard(good, now)).toEqual({});
    expect(checkCard({ ...good, cardNumber: '4444 3333 2222 1112' }, now).cardNumber).toContain('valid card number');
    expect(checkCard({ ...good, expiryDate: '10/26' }, now).expiryDate).toContain('expired');
    expect(checkCard({ ...good, expiryDate: '11/26' }, now)).toEqual({});
    expect(checkCard({ ...good, expiryDate: '13/30' }, now).expiryDate).toContain('MM/YY');
    expect(checkCard({ ...good, cvc: '12' }, now).cvc).toContain('3 or 4 digits');
    expect(checkCard({ ...good, cardholderName: ' ' }, now).cardholderName).toContain('name as it appears');
  });

  it('checks the payment', () => {
    expect(penceOf('12.5')).toBe(1250);
    expect(penceOf('1,50')).toBeNull();
    expect(checkPayment({ amount: '1,50', reference: 'R', description: 'D', email: '' }).amount).toBe(
      'Enter an amount in pounds and pence, like 12.50',
    );
    expect(checkPayment({ amount: '12.50', reference: 'R', description: 'D', email: '' })).toEqual({});
    const p = checkPayment({ amount: 'ten', reference: '', description: '', email: 'nope' });
    expect(Object.keys(p).sort()).toEqual(['amount', 'description', 'email', 'reference']);
  });
});
