import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { CaseList } from '../../bindings/CaseList';
import type { CasePage as CasePageData } from '../../bindings/CasePage';
import CasesPage from './CasesPage.svelte';
import CasePage from './CasePage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';
import { pageTitle } from '../../lib/title.svelte';

const service = testService('caseworker');

const summary = (reference: string, at: string, payments: number, notes: number) => ({
  id: `id-${reference}`,
  reference,
  title: reference === 'CASE-77' ? 'Mrs Example’s permits' : '',
  createdAt: '2026-12-01T09:00:00Z',
  lastActivityAt: at,
  paymentCount: payments,
  noteCount: notes,
});

const everyCase: CaseList['cases'] = [summary('CASE-78', '2026-12-05T10:00:00Z', 0, 0), summary('CASE-77', '2026-12-04T10:00:00Z', 2, 1)];

describe('CasesPage', () => {
  it('lists cases newest activity first and narrows them by part of the reference', async () => {
    const asked: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== 'case_list') return null;
      const reference = (args as { reference: string }).reference;
      asked.push(reference);
      const cases = everyCase.filter((c) => c.reference.toLowerCase().includes(reference.trim().toLowerCase()));
      return { cases, more: false } satisfies CaseList;
    });
    const { container } = render(CasesPage, { service });
    await waitFor(() => expect(screen.getByTestId('case-count').textContent).toContain('2 cases'));
    const rows = () => [...container.querySelectorAll('tbody tr')].map((r) => r.querySelector('a')?.textContent);
    expect(rows()).toEqual(['CASE-78', 'CASE-77']);
    expect(container.querySelector('a[href="#/cases/id-CASE-77"]')).toBeTruthy();
    await expectNoAxeViolations(container);

    await fireEvent.input(screen.getByLabelText('Case reference'), { target: { value: '77' } });
    await waitFor(() => expect(rows()).toEqual(['CASE-77']));
    expect(asked).toContain('77');
    await fireEvent.input(screen.getByLabelText('Case reference'), { target: { value: 'nothing' } });
    await waitFor(() => expect(screen.getByTestId('case-count').textContent).toContain('No case reference holds “nothing”'));
  });

  it('names the field when the core refuses the search', async () => {
    mockIPC((cmd, args) => {
      if (cmd !== 'case_list') return null;
      if ((args as { reference: string }).reference.length > 100) {
        throw { code: 'validation', message: 'There is a problem', retryable: false, fields: [{ field: 'caseSearch', message: 'Enter a case reference of 100 characters or fewer' }] };
      }
      return { cases: [], more: false } satisfies CaseList;
    });
    // Another service: the first test's search stays with its own.
    const { container } = render(CasesPage, { service: testService('caseworker', { id: 's9', name: 'Licensing' }) });
    await waitFor(() => expect(screen.getByTestId('case-count').textContent).toContain('No cases yet'));
    await fireEvent.input(screen.getByLabelText('Case reference'), { target: { value: 'x'.repeat(101) } });
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Enter a case reference of 100 characters or fewer'));
    expect(container.querySelector('.govuk-error-summary a[href="#case-search"]')).toBeTruthy();
  });
});

const pageData: CasePageData = {
  case: {
    id: 'c1',
    serviceId: 's1',
    reference: 'CASE-77',
    title: 'Mrs Example’s permits',
    createdAt: '2026-12-01T09:00:00Z',
    paymentIds: ['pay1aaaaaaaaaaaaaaaaaaaaaa', 'pay2aaaaaaaaaaaaaaaaaaaaaa'],
    notes: [{ id: 1, author: 'Alex Caseworker', body: 'Called about a double charge.', createdAt: '2026-12-02T09:00:00Z' }],
  },
  payments: [
    {
      paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa', reference: 'PK-1', description: 'Permit', email: 'a@example.org', amount: 4500, status: 'success', finished: true,
      code: null, cardBrand: 'Visa', last4: '1111', cardholderName: 'A Example', createdDate: '2026-11-30T09:00:00Z', refundStatus: 'available', refundAvailable: 2500, refundSubmitted: 2000,
    },
  ],
  notCached: ['pay2aaaaaaaaaaaaaaaaaaaaaa'],
  actions: [
    {
      seq: 9, at: '2026-12-03T09:00:00Z', operator: 'Alex Caseworker', serviceId: 's1', serviceName: 'Parking permits', action: 'refund', phase: 'succeeded',
      attemptSeq: 8, paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa', targetId: 'r1', amount: 2000, payCode: null, detail: '', reason: 'duplicate_payment', reasonNote: null,
    },
    {
      seq: 8, at: '2026-12-03T08:59:59Z', operator: 'Alex Caseworker', serviceId: 's1', serviceName: 'Parking permits', action: 'refund', phase: 'attempt',
      attemptSeq: null, paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa', targetId: null, amount: 2000, payCode: null, detail: '', reason: 'duplicate_payment', reasonNote: null,
    },
  ],
};

describe('CasePage', () => {
  it("shows the case's payments and one timeline of notes and staff actions, and adds a note", async () => {
    const notes: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'case_page') return pageData;
      if (cmd === 'case_add_note') {
        const body = (args as { body: string }).body;
        notes.push(body);
        return { ...pageData.case, notes: [...pageData.case.notes, { id: 2, author: 'Alex Caseworker', body, createdAt: '2026-12-04T09:00:00Z' }] };
      }
      return null;
    });
    const { container } = render(CasePage, { service, caseId: 'c1' });
    await waitFor(() => expect(screen.getByTestId('case-reference').textContent).toBe('CASE-77'));
    expect(pageTitle.own).toBe('Case CASE-77');
    expect(screen.getByTestId('case-payment-count').textContent).toContain('2, £45.00 in all');
    expect(screen.getByTestId('case-payments').textContent).toContain('£20.00 refunded');
    expect(screen.getByTestId('case-not-cached').textContent).toContain('pay2aaaaaaaaaaaaaaaaaaaaaa');
    // The attempt is told by its outcome: one line for the refund, newest first.
    const titles = () => [...container.querySelectorAll('.moj-timeline__title')].map((t) => t.textContent);
    expect(titles()).toEqual(['Refund – £20.00 (PK-1)', 'Case note']);
    await expectNoAxeViolations(container);

    await fireEvent.input(screen.getByLabelText('Add a note'), { target: { value: 'Second refund asked for.' } });
    await fireEvent.click(screen.getByTestId('case-note-add'));
    await waitFor(() => expect(titles()).toEqual(['Case note', 'Refund – £20.00 (PK-1)', 'Case note']));
    expect(notes).toEqual(['Second refund asked for.']);
    expect((screen.getByLabelText('Add a note') as HTMLTextAreaElement).value).toBe('');
  });
});
