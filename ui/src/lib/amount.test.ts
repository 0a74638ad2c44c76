import { describe, expect, it } from 'vitest';
import { AMOUNT_MESSAGE, parsePence } from './amount';

// The same cases as the core's tests (paydesk-core src/amount.rs): the UI reads
// the core's pattern, so the two must agree.
describe('parsePence', () => {
  it('reads pounds and pence as a person does', () => {
    const cases: [string, number][] = [
      ['10.50', 1050],
      ['12.5', 1250],
      ['7', 700],
      ['0.01', 1],
      ['£12.50', 1250],
      [' £ 1,000.50 ', 100_050],
      ['1,000,000.00', 100_000_000],
      ['012.50', 1250],
    ];
    for (const [text, pence] of cases) expect(parsePence(text), text).toBe(pence);
  });
  it('refuses text that could mean two amounts', () => {
    for (const text of ['1,50', '12,5', '1,0.00', '1.5.0', '1,00', '0,500', '1 000', '5.', '.5', '1.234', '-5', '1e3', '١٢', '1234567890']) {
      expect(parsePence(text), text).toBeNull();
    }
    expect(parsePence('  ')).toBe('empty');
    expect(AMOUNT_MESSAGE).toBe('Enter an amount in pounds and pence, like 12.50');
  });
});
