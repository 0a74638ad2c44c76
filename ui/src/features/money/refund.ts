// The refund amount, checked before the confirmation step by the core's one
// amount rule (lib/amount.ts). The core checks again when the refund is sent.
import { AMOUNT_MESSAGE, parsePence } from '../../lib/amount';
import { pounds } from '../../lib/format';

/** Pence from what was typed, or the message to show against the amount field. */
export function checkRefundAmount(text: string, availablePence: number): { pence: number } | { error: string } {
  const pence = parsePence(text);
  if (pence === 'empty') return { error: 'Enter the amount to refund' };
  if (pence === null) return { error: AMOUNT_MESSAGE };
  if (pence <= 0 || pence > availablePence) {
    return { error: `Enter a refund amount greater than £0.00 and no more than ${pounds(availablePence)}` };
  }
  return { pence };
}
