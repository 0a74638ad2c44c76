// The admin tool's refund amount rules, checked before the confirmation step.
// The core checks again when the refund is sent.

export const FORMAT_MESSAGE =
  'Enter an amount to refund in pounds and pence using digits and a decimal point. For example "10.50"';

/** Pence from what was typed, or the message to show against the amount field. */
export function checkRefundAmount(text: string, availablePence: number): { pence: number } | { error: string } {
  const t = text.trim().replace(/^£\s*/, '').replace(/,/g, '');
  if (t === '') return { error: 'Enter the amount to refund' };
  if (!/^\d{1,9}(\.\d{1,2})?$/.test(t)) return { error: FORMAT_MESSAGE };
  const [whole, fraction = ''] = t.split('.');
  const pence = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (pence <= 0 || pence > availablePence) {
    const max = (availablePence / 100).toLocaleString('en-GB', { style: 'currency', currency: 'GBP' });
    return { error: `Enter a refund amount greater than £0.00 and no more than ${max}` };
  }
  return { pence };
}
