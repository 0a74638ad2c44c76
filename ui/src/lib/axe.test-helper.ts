// For vitest only: no accessibility rule broken in what a screen rendered.
import axe from 'axe-core';
import { expect } from 'vitest';

export async function expectNoAxeViolations(container: HTMLElement): Promise<void> {
  // Colour contrast needs layout, which jsdom does not do: the window tests cover it.
  const results = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}
