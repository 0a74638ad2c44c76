// Amounts as staff type them, by the one rule the core states (src/amount.rs in
// paydesk-core, exported to bindings/amountRule.ts). Nothing here re-states it.
import { AMOUNT_MESSAGE, AMOUNT_PATTERN } from '../bindings/amountRule';

export { AMOUNT_MESSAGE };

/** Pence from what was typed; `empty` when nothing was; `null` when it is not an amount. */
export function parsePence(text: string): number | 'empty' | null {
  if (text.trim() === '') return 'empty';
  const m = AMOUNT_PATTERN.exec(text);
  if (!m) return null;
  const pounds = Number(m[1].replace(/,/g, ''));
  const pence = m[2] === undefined ? 0 : Number(m[2].padEnd(2, '0'));
  return pounds * 100 + pence;
}
