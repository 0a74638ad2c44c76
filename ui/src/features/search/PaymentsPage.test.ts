import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PaymentQuery } from '../../bindings/PaymentQuery';
import type { PaymentResults } from '../../bindings/PaymentResults';
import type { PaymentRow } from '../../bindings/PaymentRow';
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
  paymentSearch.reset();
  services.currentId = null;
});

/** `n` payments, numbered from `from`, as a page of results holds them. */
const rows = (n: number, from = 1): PaymentRow[] =>
  Array.from({ length: n }, (_, i) => ({
    ...results.rows[0],
    paymentId: `pay${String(from + i).padStart(23, '0')}`,
    reference: `PK-${from + i}`,
  }));

interface Asked {
  serviceId: string;
  query: PaymentQuery;
}

/**
 * A core holding `total` payments for each service (counted up to 5,000, as the
 * core does), `filled` pages of them; every search it is asked is kept in `asked`.
 */
function core(total: number, { filled = Infinity, list = [service] }: { filled?: number; list?: typeof service[] } = {}) {
  const asked: Asked[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'services_list') return list;
    if (cmd === 'sync_status') {
      const id = (args as { serviceId: string }).serviceId;
      return { status: { serviceId: id, lastSyncedMs: Date.now() - 60_000, interrupted: false, cachedPayments: total }, running: false, progress: null };
    }
    if (cmd === 'payments_search') {
      const a = args as unknown as Asked;
      asked.push(a);
      const { page, pageSize } = a.query;
      const n = page > filled ? 0 : Math.max(0, Math.min(pageSize, total - (page - 1) * pageSize));
      return { rows: rows(n, (page - 1) * pageSize + 1), total: Math.min(total, 5000), totalIsCapped: total > 5000, page, pageSize } satisfies PaymentResults;
    }
    return null;
  });
  const last = () => asked[asked.length - 1];
  return { asked, last };
}

const text = (el: Element | null) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';

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
    // The name on the card is a column of its own.
    const headers = [...container.querySelectorAll('[data-testid=results] thead th')].map((h) => h.textContent?.trim());
    const cells = [...container.querySelectorAll('[data-testid=results] tbody tr:first-child td')].map((c) => c.textContent?.trim());
    expect(cells[headers.indexOf('Name on card')]).toBe('Jo Bloggs');
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

  it('takes off only the filter whose tag is pressed', async () => {
    const { last } = core(400);
    await services.refresh();
    render(PaymentsPage);
    const reference = screen.getByTestId('filter-reference') as HTMLInputElement;
    const email = screen.getByTestId('filter-email') as HTMLInputElement;
    await fireEvent.input(reference, { target: { value: 'PK-1' } });
    await fireEvent.input(email, { target: { value: 'jo@example.org' } });
    await fireEvent.click(screen.getByLabelText('Success'));
    await waitFor(() => expect(last().query.states).toEqual(['success']));

    await fireEvent.click(screen.getByRole('button', { name: 'Remove this filter: Email address jo@example.org' }));
    await waitFor(() => expect(last().query.email).toBeUndefined());
    expect(last().query.reference).toBe('PK-1');
    expect(last().query.states).toEqual(['success']);
    expect(email.value).toBe('');
    expect(reference.value).toBe('PK-1');
    const tags = within(screen.getByTestId('selected-filters')).getAllByRole('button', { name: /^Remove this filter/ });
    expect(tags.map((t) => text(t))).toEqual(['Remove this filter: Reference PK-1', 'Remove this filter: Payment status Success']);
    // Focus stays among the tags, on the one that took the removed one's place.
    expect(document.activeElement).toBe(tags[1]);
  });

  it('keeps the filter box, and focus in it, when its last letter is deleted', async () => {
    const { last } = core(400);
    await services.refresh();
    render(PaymentsPage);
    const reference = screen.getByTestId('filter-reference') as HTMLInputElement;
    reference.focus();
    await fireEvent.input(reference, { target: { value: 'P' } });
    await waitFor(() => expect(screen.getByTestId('selected-filters')).toBeTruthy());
    await fireEvent.input(reference, { target: { value: '' } });
    await waitFor(() => expect(screen.queryByTestId('selected-filters')).toBeNull());
    await waitFor(() => expect(last().query.reference).toBeUndefined());
    expect(screen.getByTestId('filter-reference')).toBe(reference);
    expect(reference.isConnected).toBe(true);
    expect(document.activeElement).toBe(reference);
    await fireEvent.input(reference, { target: { value: 'PR' } });
    await waitFor(() => expect(last().query.reference).toBe('PR'));
    expect(reference.value).toBe('PR');
  });

  it('keeps each service’s filters, sort and page size to itself', async () => {
    const other = testService('caseworker', { id: 's2', name: 'Blue badges' });
    const { asked, last } = core(400, { list: [service, other] });
    await services.refresh();
    services.use('s1');
    render(PaymentsPage);
    await fireEvent.input(screen.getByTestId('filter-reference'), { target: { value: 'PK-1' } });
    await fireEvent.click(await screen.findByRole('button', { name: 'Amount' }));
    await waitFor(() => expect(last().query).toMatchObject({ reference: 'PK-1', sort: 'amount' }));

    services.use('s2');
    await waitFor(() => expect(last().serviceId).toBe('s2'));
    expect(last().query.reference).toBeUndefined();
    expect(last().query.sort).toBe('date');
    expect(asked.filter((a) => a.serviceId === 's2').every((a) => a.query.reference === undefined)).toBe(true);
    expect((screen.getByTestId('filter-reference') as HTMLInputElement).value).toBe('');
    expect(screen.queryByTestId('selected-filters')).toBeNull();

    services.use('s1');
    await waitFor(() => expect(last().serviceId).toBe('s1'));
    expect(last().query).toMatchObject({ reference: 'PK-1', sort: 'amount' });
    expect((screen.getByTestId('filter-reference') as HTMLInputElement).value).toBe('PK-1');
    expect(screen.getByRole('button', { name: 'Remove this filter: Reference PK-1' })).toBeTruthy();
  });

  it('pages through the results by number and Next', async () => {
    const { last } = core(400);
    await services.refresh();
    render(PaymentsPage);
    await waitFor(() => expect(screen.getByTestId('pager-top')).toBeTruthy());
    const top = () => within(screen.getByTestId('pager-top'));
    expect(text(top().getByTestId('page-current'))).toBe('1');
    expect(top().getByTestId('page-current').getAttribute('aria-current')).toBe('page');
    expect(top().getByRole('link', { name: 'Page 2' })).toBeTruthy();
    expect(top().getByRole('link', { name: 'Page 20' })).toBeTruthy();
    expect(top().queryByRole('link', { name: 'Page 10' })).toBeNull();
    expect(top().queryByRole('link', { name: 'Previous page' })).toBeNull();

    await fireEvent.click(top().getByRole('link', { name: 'Next page' }));
    await waitFor(() => expect(last().query.page).toBe(2));
    await waitFor(() => expect(screen.getByRole('link', { name: 'PK-21' })).toBeTruthy());
    expect(text(top().getByTestId('page-current'))).toBe('2');
    expect(top().getByRole('link', { name: 'Previous page' })).toBeTruthy();
    expect(text(within(screen.getByTestId('pager-bottom')).getByTestId('page-current'))).toBe('2');

    // The last page has no Next.
    await fireEvent.click(within(screen.getByTestId('pager-bottom')).getByRole('link', { name: 'Page 20' }));
    await waitFor(() => expect(last().query.page).toBe(20));
    await waitFor(() => expect(text(top().getByTestId('page-current'))).toBe('20'));
    expect(top().queryByRole('link', { name: 'Next page' })).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(top().getByTestId('page-current')));
  });

  it('checks the page typed into Go to page, and goes past 5,000 matches', async () => {
    const { last } = core(9000, { filled: 250 });
    await services.refresh();
    const { container } = render(PaymentsPage);
    await waitFor(() => expect(text(screen.getByTestId('result-count'))).toContain('5,000+ payments match'));
    const top = within(screen.getByTestId('pager-top'));
    // The last page is not known: no page 250 offered, but Next is.
    expect(top.queryByRole('link', { name: 'Page 250' })).toBeNull();
    expect(top.getByRole('link', { name: 'Next page' })).toBeTruthy();

    const jump = screen.getByTestId('page-jump') as HTMLInputElement;
    const go = screen.getByTestId('page-jump-go');
    await fireEvent.input(jump, { target: { value: 'abc' } });
    await fireEvent.click(go);
    await waitFor(() => expect(container.querySelector('#page-jump-error')).toBeTruthy());
    expect(text(container.querySelector('#page-jump-error'))).toBe('Error: Go to page must be a whole number, like 2');
    expect(jump.getAttribute('aria-describedby')).toBe('page-jump-error');
    expect(jump.classList.contains('govuk-input--error')).toBe(true);
    expect(last().query.page).toBe(1);

    await fireEvent.input(jump, { target: { value: '0' } });
    await fireEvent.click(go);
    await waitFor(() => expect(text(container.querySelector('#page-jump-error'))).toBe('Error: Go to page must be 1 or more'));
    expect(last().query.page).toBe(1);

    await fireEvent.input(jump, { target: { value: '300' } });
    await fireEvent.click(go);
    await waitFor(() => expect(last().query.page).toBe(300));
    expect(container.querySelector('#page-jump-error')).toBeNull();
    await waitFor(() => expect(text(screen.getByTestId('result-count'))).toContain('There are no payments on page 300'));
    expect(text(screen.getByTestId('result-count'))).not.toContain('No payments');
    expect(text(within(screen.getByTestId('pager-top')).getByTestId('page-current'))).toBe('300');

    await fireEvent.click(screen.getByRole('link', { name: 'Go back to page 1' }));
    await waitFor(() => expect(last().query.page).toBe(1));
    await waitFor(() => expect(screen.getByRole('link', { name: 'PK-1' })).toBeTruthy());
  });

  it('takes several statuses, an amount range and disputes, and names a box that does not read', async () => {
    const { last, asked } = core(400);
    await services.refresh();
    const { container } = render(PaymentsPage);
    await waitFor(() => expect(asked.length).toBeGreaterThan(0));
    await fireEvent.click(screen.getByLabelText('Success'));
    await fireEvent.click(screen.getByLabelText('Declined'));
    await waitFor(() => expect(last().query.states).toEqual(['success', 'declined']));
    expect(screen.getByTestId('filter-state').querySelector('summary')?.textContent).toBe('Success, Declined');
    await fireEvent.change(screen.getByTestId('filter-dispute'), { target: { value: 'needs_response' } });
    await waitFor(() => expect(last().query.dispute).toBe('needs_response'));
    const before = asked.length;
    const amountFrom = screen.getByTestId('filter-amount-from') as HTMLInputElement;
    amountFrom.focus();
    await fireEvent.input(amountFrom, { target: { value: 'ten pounds' } });
    await waitFor(() => expect(container.querySelector('#filter-amount-from-error')?.textContent).toContain('Amount from must be an amount in pounds and pence'));
    expect(asked.length).toBe(before);
    // Announced, but the box being typed in keeps the focus: no key is lost.
    expect(container.querySelector('.govuk-error-summary [role=alert]')).toBeTruthy();
    expect(document.activeElement).toBe(amountFrom);
    expect(container.querySelector('.govuk-error-summary a')?.getAttribute('href')).toBe('#filter-amount-from');
    await fireEvent.input(screen.getByTestId('filter-amount-from'), { target: { value: '10' } });
    await fireEvent.input(screen.getByTestId('filter-amount-to'), { target: { value: '£45.50' } });
    await waitFor(() => expect(last().query).toMatchObject({ amountFrom: 1000, amountTo: 4550 }));
    // Each tag says the amount as the search reads it.
    expect(screen.getByRole('button', { name: 'Remove this filter: Amount from £10.00' })).toBeTruthy();
    expect(container.querySelector('#filter-amount-from-error')).toBeNull();
    // One tag per status: taking one off keeps the other.
    await fireEvent.click(screen.getByRole('button', { name: 'Remove this filter: Payment status Success' }));
    await waitFor(() => expect(last().query.states).toEqual(['declined']));
    // Payers' details leave in a file only from a supervisor's desk.
    expect(screen.queryByTestId('results-csv')).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('hides the filters only when asked, keeping what was typed in them', async () => {
    const { last } = core(400);
    await services.refresh();
    const { container } = render(PaymentsPage);
    const fields = container.querySelector('#filter-fields') as HTMLElement;
    const toggle = screen.getByTestId('filters-toggle');
    expect(fields.hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    await fireEvent.input(screen.getByTestId('filter-reference'), { target: { value: 'PK-1' } });
    await waitFor(() => expect(last().query.reference).toBe('PK-1'));
    await fireEvent.click(toggle);
    expect(fields.hidden).toBe(true);
    expect(toggle.textContent).toBe('Show filters (1 in use)');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    await fireEvent.click(toggle);
    expect(fields.hidden).toBe(false);
    expect((screen.getByTestId('filter-reference') as HTMLInputElement).value).toBe('PK-1');
    await expectNoAxeViolations(container);
  });

  it('breaks no accessibility rule with filters, their tags and the pagers shown', async () => {
    const { last } = core(400);
    await services.refresh();
    const { container } = render(PaymentsPage);
    await fireEvent.input(screen.getByTestId('filter-reference'), { target: { value: 'PK' } });
    await fireEvent.click(screen.getByLabelText('Visa'));
    await fireEvent.change(screen.getByTestId('filter-date'), { target: { value: 'last7' } });
    await waitFor(() => expect(last().query).toMatchObject({ reference: 'PK', cardBrands: ['Visa'] }));
    await waitFor(() => expect(screen.getAllByRole('button', { name: /^Remove this filter/ })).toHaveLength(3));
    await waitFor(() => expect(screen.getByTestId('pager-bottom')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('page-jump-go'));
    await waitFor(() => expect(container.querySelector('#page-jump-error')).toBeTruthy());
    await expectNoAxeViolations(container);
  });
});
