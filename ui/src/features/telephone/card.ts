// What the agent types about a card, checked before anything is sent. The core
// checks again; these give the message at once, against the right field.

import { AMOUNT_MESSAGE, parsePence } from '../../lib/amount';

export function digitsOf(text: string): string {
  return text.replace(/[\s-]/g, '');
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** The brand from the number's first digits, as GOV.UK Pay names brands. */
export function cardBrand(digits: string): string | null {
  const p = (n: number) => Number(digits.slice(0, n));
  if (digits.length < 1) return null;
  if (digits.startsWith('4')) return 'Visa';
  if ((p(2) >= 51 && p(2) <= 55) || (p(4) >= 2221 && p(4) <= 2720)) return 'Mastercard';
  if (p(2) === 34 || p(2) === 37) return 'American Express';
  if ((p(3) >= 300 && p(3) <= 305) || p(2) === 36 || p(2) === 38 || p(2) === 39) return 'Diners Club';
  if (digits.startsWith('6011') || digits.startsWith('65') || (p(3) >= 644 && p(3) <= 649)) return 'Discover';
  if (p(4) >= 3528 && p(4) <= 3589) return 'JCB';
  if (digits.startsWith('62')) return 'Union Pay';
  if (digits.startsWith('50') || (p(2) >= 56 && p(2) <= 69)) return 'Maestro';
  return null;
}

/** Groups of four as typed (American Express: 4-6-5, as printed on the card). */
export function groupCardNumber(text: string): string {
  const d = digitsOf(text).replace(/\D/g, '').slice(0, 19);
  if (cardBrand(d) === 'American Express') {
    return [d.slice(0, 4), d.slice(4, 10), d.slice(10, 15)].filter(Boolean).join(' ');
  }
  return d.replace(/(\d{4})(?=\d)/g, '$1 ');
}

/** `MM/YY` as typed: the slash goes in by itself. */
export function formatExpiry(text: string): string {
  const d = text.replace(/\D/g, '').slice(0, 4);
  return d.length > 2 ? `${d.slice(0, 2)}/${d.slice(2)}` : d;
}

export interface CardFields {
  cardNumber: string;
  expiryDate: string;
  cvc: string;
  cardholderName: string;
}

export interface PaymentFields {
  amount: string;
  reference: string;
  description: string;
  email: string;
}

export type Problems = Record<string, string>;

/** Pence from pounds and pence as typed (the core's one rule), or null. */
export function penceOf(text: string): number | null {
  const p = parsePence(text);
  return typeof p === 'number' ? p : null;
}

export function checkPayment(f: PaymentFields): Problems {
  const p: Problems = {};
  const pence = penceOf(f.amount);
  if (f.amount.trim() === '') p.amount = 'Enter the amount to take';
  else if (pence === null) p.amount = AMOUNT_MESSAGE;
  else if (pence < 1) p.amount = 'Enter an amount of at least £0.01';
  else if (pence > 10_000_000) p.amount = 'Enter an amount of no more than £100,000.00';
  if (f.reference.trim() === '') p.reference = 'Enter a reference';
  else if (f.reference.trim().length > 255) p.reference = 'Enter a reference in 255 characters or fewer';
  if (f.description.trim() === '') p.description = 'Enter a description of what the caller is paying for';
  else if (f.description.trim().length > 255) p.description = 'Enter a description in 255 characters or fewer';
  if (f.email.trim() !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(f.email.trim()))
    p.email = 'Enter an email address in the correct format, like name@example.com';
  return p;
}

export function checkCard(c: CardFields, now: Date = new Date()): Problems {
  const p: Problems = {};
  const digits = digitsOf(c.cardNumber);
  if (digits === '') p.cardNumber = 'Enter the card number';
  else if (!/^\d{12,19}$/.test(digits)) p.cardNumber = 'Enter a card number of 12 to 19 digits';
  else if (!luhnValid(digits)) p.cardNumber = 'Enter a valid card number: check it with the caller';
  const m = /^(\d{2})\/(\d{2})$/.exec(c.expiryDate.trim());
  if (c.expiryDate.trim() === '') p.expiryDate = 'Enter the expiry date';
  else if (!m || Number(m[1]) < 1 || Number(m[1]) > 12)
    p.expiryDate = 'Enter the expiry date in the format MM/YY, for example 04/28';
  else {
    const year = 2000 + Number(m[2]);
    const month = Number(m[1]);
    const nowMonth = now.getUTCFullYear() * 12 + now.getUTCMonth();
    if (year * 12 + (month - 1) < nowMonth) p.expiryDate = 'The card has expired: enter an expiry date this month or later';
  }
  if (c.cvc.trim() === '') p.cvc = 'Enter the security code';
  else if (!/^\d{3,4}$/.test(c.cvc.trim())) p.cvc = 'Enter a security code of 3 or 4 digits';
  if (c.cardholderName.trim() === '') p.cardholderName = 'Enter the name as it appears on the card';
  else if (c.cardholderName.trim().length > 255) p.cardholderName = 'Enter the name on the card in 255 characters or fewer';
  return p;
}
