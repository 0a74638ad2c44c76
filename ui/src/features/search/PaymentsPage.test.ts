import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PaymentResults } from '../../bindings/PaymentResults';
import { services } from '../../lib/services.svelte';
import PaymentsPage from './PaymentsPage.svelte';
import { paymentSearch } from './search.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('caseworker', { environment: 'live' });

const results: PaymentResults = {
  rows: [
    {
      paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa',
      reference: 'PK-1',
      description: 'Permit',
      email: 'jo@example.org',
      amount: 4250,
      status: 'success',
      finished: true,
      code: null,
      cardBrand: 'Visa',
      last4: '4242',
      cardholderName: 'Jo Bloggs',
      createdDate: '2026-11-21T10:00:00.000Z',
      refundStatus: 'available',
      refundAvailable: 4250,
      refundSubmitted: 0,
    },
  ],
  total: 1,
  totalIsCapped: false,
  page: 1,
  pageSize: 20,
};

beforeEach(async () => {
  paymentSearch.text = '';
  paymentSearch.results = null;
  paymentSearch.error = null;
});

describe('PaymentsPage', () => {
  it('searches the cache as the caseworker types and lists the results', async () => {
    const queries: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'services_list') return [service];
      if (cmd === 'sync_status') return { status: { serviceId: 's1', lastSyncedMs: Date.now() - 120_000, interrupted: false, cachedPayments: 20000 }, running: false, progress: null };
      if (cmd === 'payments_search') {
        queries.push((args as { query: unknown }).query);
        return results;
      }
      return null;
    });
    await services.refresh();
    const { container } = render(PaymentsPage);
    await waitFor(() => expect(screen.getByTestId('sync-freshness').textContent).toContain('2 minutes ago'));
    const box = screen.getByLabelText('Search payments') as HTMLInputElement;
    await fireEvent.input(box, { target: { value: '4242' } });
    await waitFor(() => expect(queries.some((q) => (q as { text?: string }).text === '4242')).toBe(true));
    await waitFor(() => expect(screen.getByRole('link', { name: 'PK-1' })).toBeTruthy());
    expect(screen.getByText('£42.50')).toBeTruthy();
    expect(screen.getByTestId('result-count').textContent?.replace(/\s+/g, ' ')).toContain('1 payment matches');
    await expectNoAxeViolations(container);
  });

  it('names the filter a bad value was typed into', async () => {
    mockIPC((cmd) => {
      if (cmd === 'services_list') return [service];
      if (cmd === 'payments_search') {
        throw { code: 'validation', message: 'Check the details', retryable: false, fields: [{ field: 'last4', message: 'Enter the last 4 digits of the card number' }] };
      }
      return null;
    });
    await services.refresh();
    const { container } = render(PaymentsPage);
    await waitFor(() => expect(container.querySelector('#filter-last4-error')?.textContent).toContain('Enter the last 4 digits'));
    const link = container.querySelector<HTMLAnchorElement>('.govuk-error-summary a')!;
    expect(link.getAttribute('href')).toBe('#filter-last4');
    await expectNoAxeViolations(container);
  });
});
