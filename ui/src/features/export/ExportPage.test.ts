import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ExportPage from './ExportPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('supervisor');

describe('ExportPage', () => {
  it('charts the chosen days, suggests a file and exports to it', async () => {
    const exported: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === 'plugin:path|resolve_directory') return '/home/sam/Downloads';
      if (cmd === 'plugin:path|join') return (a.paths as string[]).join('/');
      if (cmd === 'daily_totals') {
        const starts = a.dayStarts as number[];
        return starts.slice(0, -1).map((s, i) => ({ dayStartMs: s, payments: { count: i, value: i * 1000 }, refunds: { count: i % 2, value: (i % 2) * 250 } }));
      }
      if (cmd === 'export_csv') {
        exported.push(a);
        return { path: a.path, report: { payments: 10, refunds: 2, paymentsTotal: 45_000, refundsTotal: 500 } };
      }
      return null;
    });
    const { container } = render(ExportPage, { service });
    await waitFor(() => expect(screen.getByTestId('export-chart')).toBeTruthy());
    // 30 days by default: 0+1+...+29 payments.
    expect(screen.getByTestId('export-sums').textContent).toContain('435 successful payments');
    expect(container.querySelectorAll('.paydesk-chart__paid')).toHaveLength(30);
    await waitFor(() => expect((screen.getByTestId('export-path') as HTMLInputElement).value).toMatch(/^\/home\/sam\/Downloads\/paydesk-parking-permits-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/));
    await expectNoAxeViolations(container);

    await fireEvent.click(screen.getByText('Yesterday'));
    await waitFor(() => expect(container.querySelectorAll('.paydesk-chart__paid')).toHaveLength(1));
    await fireEvent.click(screen.getByTestId('export-submit'));
    await waitFor(() => expect(screen.getByTestId('export-done').textContent).toContain('10 payments and 2 refunds were saved'));
    expect(exported).toHaveLength(1);
    const sent = exported[0];
    expect(sent.serviceId).toBe('s1');
    expect((sent.toMs as number) - (sent.fromMs as number)).toBeGreaterThanOrEqual(23 * 3_600_000);
    expect(String(sent.path)).toContain('/home/sam/Downloads/');
  });

  it('names the date that is wrong and sends nothing', async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      return cmd === 'daily_totals' ? [] : null;
    });
    const { container } = render(ExportPage, { service });
    await fireEvent.input(screen.getByTestId('export-to'), { target: { value: '' } });
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Enter a real end date'));
    expect(container.querySelector<HTMLAnchorElement>('.govuk-error-summary a')!.getAttribute('href')).toBe('#export-to');
    await fireEvent.click(screen.getByTestId('export-submit'));
    expect(asked).not.toContain('export_csv');
  });

  it('asks before replacing a file that is already there', async () => {
    const exported: Record<string, unknown>[] = [];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === 'plugin:path|resolve_directory') return '/home/sam/Downloads';
      if (cmd === 'plugin:path|join') return (a.paths as string[]).join('/');
      if (cmd === 'daily_totals') {
        const starts = a.dayStarts as number[];
        return starts.slice(0, -1).map((s) => ({ dayStartMs: s, payments: { count: 1, value: 100 }, refunds: { count: 0, value: 0 } }));
      }
      if (cmd === 'export_csv') {
        exported.push(a);
        if (!a.replace) {
          throw { code: 'validation', message: 'There is a problem with the details you entered', retryable: false, fields: [{ field: 'replace', message: 'A file with that name is already there. Replace it, or choose another name' }] };
        }
        return { path: a.path, report: { payments: 1, refunds: 0, paymentsTotal: 100, refundsTotal: 0 } };
      }
      return null;
    });
    render(ExportPage, { service });
    await waitFor(() => expect((screen.getByTestId('export-path') as HTMLInputElement).value).toContain('/home/sam/Downloads/'));
    await fireEvent.click(screen.getByTestId('export-submit'));
    await waitFor(() => expect(screen.getByTestId('export-replace')).toBeTruthy());
    expect(screen.getByText(/A file with that name is already there/)).toBeTruthy();
    expect(exported).toHaveLength(1);
    expect(exported[0].replace).toBe(false);
    await fireEvent.click(screen.getByTestId('export-replace'));
    await waitFor(() => expect(screen.getByTestId('export-done')).toBeTruthy());
    expect(exported[1].replace).toBe(true);
  });
});
