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

/** The longest note, in characters (the core counts the same way). */
export const NOTE_MAX = 255;

/**
 * The reason and note, checked before the confirmation step with the core's
 * rules and words (money/reason.rs, which checks again): the problems by field.
 */
export function checkRefundReason(reason: string, note: string): { field: 'reason' | 'reasonNote'; message: string }[] {
  const problems: { field: 'reason' | 'reasonNote'; message: string }[] = [];
  if (!reason) problems.push({ field: 'reason', message: 'Select why the payment is being refunded' });
  const trimmed = note.trim();
  if ([...trimmed].length > NOTE_MAX) {
    problems.push({ field: 'reasonNote', message: `The note must be ${NOTE_MAX} characters or fewer` });
  } else if (/\p{Cc}/u.test(trimmed)) {
    problems.push({ field: 'reasonNote', message: 'The note must be one line of text, without tabs or line breaks' });
  } else if (!trimmed && reason === 'other') {
    problems.push({ field: 'reasonNote', message: 'Enter a note saying why, when the reason is Other' });
  }
  return problems;
}
