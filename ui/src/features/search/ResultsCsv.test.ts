import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PaymentQuery } from '../../bindings/PaymentQuery';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';
import ResultsCsv from './ResultsCsv.svelte';

const query: PaymentQuery = { states: ['success'], amountFrom: 2000, sort: 'date', ascending: false, page: 1, pageSize: 20 };

describe('ResultsCsv', () => {
  it('saves the search on screen to the file given, asking before it replaces one', async () => {
    const asked: { query: PaymentQuery; path: string; replace: boolean }[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'results_csv') {
        const a = args as { query: PaymentQuery; path: string; replace: boolean };
        asked.push(a);
        if (!a.replace && asked.length === 1) {
          throw { code: 'validation', message: 'There is a problem', retryable: false, fields: [{ field: 'replace', message: 'A file with that name is already there. Replace it, or choose another name' }] };
        }
        return { path: a.path, payments: 240, capped: false };
      }
      return null;
    });
    const { container } = render(ResultsCsv, { service: testService('supervisor'), query: () => query, total: '240 payments found' });
    expect(container.textContent).toContain('The 240 payments found with the filters above');
    await fireEvent.input(screen.getByTestId('results-csv-path'), { target: { value: '/home/sam/results.csv' } });
    await fireEvent.click(screen.getByTestId('results-csv-save'));
    await waitFor(() => expect(screen.getByTestId('results-csv-replace')).toBeTruthy());
    expect(asked[0]).toMatchObject({ query, path: '/home/sam/results.csv', replace: false });
    await fireEvent.click(screen.getByTestId('results-csv-replace'));
    await waitFor(() => expect(screen.getByTestId('results-csv-done').textContent).toContain('240 payments were saved to /home/sam/results.csv'));
    expect(asked[1].replace).toBe(true);
    await expectNoAxeViolations(container);
  });

  it('sends nothing while a filter does not read', async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      return null;
    });
    render(ResultsCsv, { service: testService('supervisor'), query: () => null, total: '3 payments found' });
    await fireEvent.input(screen.getByTestId('results-csv-path'), { target: { value: '/tmp/r.csv' } });
    await fireEvent.click(screen.getByTestId('results-csv-save'));
    expect(asked).not.toContain('results_csv');
  });
});
