import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PaymentDetail } from '../../bindings/PaymentDetail';
import { services } from '../../lib/services.svelte';
import PaymentPage from './PaymentPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('caseworker', { environment: 'live' });

const REASONS = [
  { code: 'duplicate_payment', label: 'Duplicate payment' },
  { code: 'overpayment', label: 'Overpayment' },
  { code: 'other', label: 'Other' },
];

const detail: PaymentDetail = {
  serviceId: 's1',
  serviceName: 'Parking permits',
  paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa',
  amount: 4250,
  totalAmount: null,
  fee: null,
  netAmount: null,
  reference: 'PK-1',
  description: 'Permit',
  email: 'jo@example.org',
  status: 'success',
  finished: true,
  statusMessage: null,
  statusCode: null,
  createdDate: '2026-11-21T10:00:00.000Z',
  capturedDate: null,
  settledDate: null,
  captureSubmitTime: null,
  paymentProvider: 'stripe',
  providerId: 'pi_1',
  moto: false,
  delayedCapture: false,
  agreementId: null,
  card: { brand: 'Visa', cardType: 'debit', firstDigits: '424242', lastDigits: '4242', expiryDate: '12/29', cardholderName: 'Jo Bloggs' },
  metadata: [{ key: 'ledger_code', value: 'PK01' }],
  refundStatus: 'available',
  refundAvailable: 4250,
  refundSubmitted: 0,
  refundBlocked: null,
  canCancel: false,
  canCapture: false,
  refunds: [],
  requests: [],
  disputes: [],
  timeline: [{ kind: 'payment', title: 'Successful', amount: 4250, at: '2026-11-21T10:00:00.000Z', detail: null }],
  case: null,
  actions: [],
  refundsFromCache: false,
};

describe('PaymentPage', () => {
  it('shows the story and confirms a partial refund with what remains, on a LIVE service', async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'payment_detail') return detail;
      if (cmd === 'refund_reasons') return REASONS;
      if (cmd === 'payment_refund') {
        sent.push(args);
        return { refundId: 'r1', amount: 1000, status: 'success', availableAfter: 3250, reconciled: false };
      }
      return null;
    });
    const { container } = render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('payment-heading').textContent).toContain('£42.50'));
    expect(container.textContent).toContain('LIVE service: actions here move real money');
    await expectNoAxeViolations(container);

    await fireEvent.click(screen.getByTestId('refund-start'));
    await fireEvent.click(screen.getByTestId('refund-partial'));
    const amount = await screen.findByTestId('refund-amount');
    await fireEvent.input(amount, { target: { value: '99' } });
    await fireEvent.click(screen.getByTestId('refund-continue'));
    // Every problem at once, each against its field: the amount, and no reason.
    await waitFor(() => expect(container.querySelector('#refund-amount-error')?.textContent).toContain('no more than £42.50'));
    expect(container.querySelector('#refund-reason-error')?.textContent).toContain('Select why the payment is being refunded');
    expect(sent).toEqual([]);
    await expectNoAxeViolations(container);

    await fireEvent.input(amount, { target: { value: '10' } });
    const reason = screen.getByTestId('refund-reason') as HTMLSelectElement;
    await waitFor(() => expect(reason.options.length).toBe(REASONS.length + 1));
    // Other needs a note saying why.
    await fireEvent.change(reason, { target: { value: 'other' } });
    await fireEvent.click(screen.getByTestId('refund-continue'));
    await waitFor(() => expect(container.querySelector('#refund-note-error')?.textContent).toContain('when the reason is Other'));
    expect(container.querySelector('#refund-reason-error')).toBeNull();
    await fireEvent.change(reason, { target: { value: 'overpayment' } });
    const note = screen.getByTestId('refund-note');
    await fireEvent.input(note, { target: { value: 'x'.repeat(256) } });
    expect(container.querySelector('#refund-note-count')?.textContent).toContain('1 character too many');
    await fireEvent.click(screen.getByTestId('refund-continue'));
    await waitFor(() => expect(container.querySelector('#refund-note-error')?.textContent).toContain('255 characters or fewer'));
    await fireEvent.input(note, { target: { value: ' paid twice at the counter ' } });
    expect(container.querySelector('#refund-note-count')?.textContent).toContain('You have 230 characters remaining');
    await fireEvent.click(screen.getByTestId('refund-continue'));
    const confirm = await screen.findByTestId('refund-confirm');
    expect(confirm.textContent).toContain('Refund £10.00 to the cardholder?');
    expect(confirm.textContent).toContain('£32.50 can still be refunded');
    expect(confirm.textContent).toContain('LIVE');
    expect(screen.getByTestId('refund-confirm-reason').textContent).toBe('Overpayment: paid twice at the counter');
    const button = screen.getByTestId('refund-confirm-button');
    // A double click sends one refund.
    await fireEvent.click(button);
    await fireEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('notice').textContent).toContain('The refund of £10.00 was made'));
    expect(sent).toEqual([
      { serviceId: 's1', paymentId: detail.paymentId, amount: '10.00', expectedAvailable: 4250, reason: 'overpayment', reasonNote: ' paid twice at the counter ' },
    ]);
  });

  it('shows a problem the core finds against its field, and keeps what was typed', async () => {
    mockIPC((cmd) => {
      if (cmd === 'payment_detail') return detail;
      if (cmd === 'refund_reasons') return REASONS;
      if (cmd === 'payment_refund') {
        throw { code: 'validation', message: 'Check the details', retryable: false, fields: [{ field: 'reasonNote', message: 'The note must be one line of text, without tabs or line breaks' }] };
      }
      return null;
    });
    const { container } = render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('payment-heading')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('refund-start'));
    const reason = screen.getByTestId('refund-reason') as HTMLSelectElement;
    await waitFor(() => expect(reason.options.length).toBe(REASONS.length + 1));
    await fireEvent.change(reason, { target: { value: 'duplicate_payment' } });
    await fireEvent.click(screen.getByTestId('refund-continue'));
    await fireEvent.click(await screen.findByTestId('refund-confirm-button'));
    await waitFor(() => expect(container.querySelector('#refund-note-error')?.textContent).toContain('one line of text'));
    expect((screen.getByTestId('refund-reason') as HTMLSelectElement).value).toBe('duplicate_payment');
  });

  it('names who made each refund and why, or says it was made elsewhere', async () => {
    mockIPC((cmd) => {
      if (cmd === 'payment_detail') {
        return {
          ...detail,
          refunds: [
            { refundId: 'r1', amount: 500, status: 'success', createdDate: '2026-11-22T10:00:00.000Z', settledDate: null, refundedBy: 'Sam Tester', reason: 'Duplicate payment: paid twice' },
            { refundId: 'r2', amount: 300, status: 'success', createdDate: '2026-11-22T11:00:00.000Z', settledDate: null, refundedBy: null, reason: null },
          ],
        };
      }
      if (cmd === 'refund_reasons') return REASONS;
      return null;
    });
    const { container } = render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getAllByTestId('refund-reason-cell').length).toBe(2));
    const rows = [...container.querySelectorAll('[data-testid="refunds"] tbody tr')].map((r) => r.textContent ?? '');
    expect(rows[0]).toContain('Duplicate payment: paid twice');
    expect(rows[0]).toContain('Sam Tester');
    expect(rows[1]).toContain('Not recorded');
    expect(rows[1]).toContain('Outside Paydesk');
    await expectNoAxeViolations(container);
  });

  it('explains why a disputed payment cannot be refunded', async () => {
    mockIPC((cmd) => (cmd === 'payment_detail' ? { ...detail, refundBlocked: 'You cannot refund this payment because it is being disputed.' } : null));
    render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('refund-blocked').textContent).toContain('being disputed'));
    expect(screen.queryByTestId('refund-start')).toBeNull();
  });

  it('shows what can still be refunded only when GOV.UK Pay offers a refund', async () => {
    const cases: [Partial<PaymentDetail>, string | null][] = [
      [{ refundStatus: 'full', refundAvailable: 0, refundSubmitted: 4250 }, '£0.00 — refunded in full'],
      [{ status: 'cancelled', finished: true, statusCode: 'P0040', refundStatus: 'unavailable', refundAvailable: 4250 }, null],
      [{ status: 'failed', statusCode: 'P0020', refundStatus: 'unavailable', refundAvailable: 4250 }, null],
      [{ status: 'started', finished: false, refundStatus: 'pending', refundAvailable: 4250 }, null],
      [{ refundBlocked: 'You cannot refund this payment because it is being disputed.' }, null],
    ];
    for (const [change, shown] of cases) {
      mockIPC((cmd) => (cmd === 'payment_detail' ? { ...detail, ...change } : null));
      const { unmount } = render(PaymentPage, { service, paymentId: detail.paymentId });
      await waitFor(() => expect(screen.getByTestId('payment-heading')).toBeTruthy());
      const available = screen.queryByTestId('available');
      if (shown) expect(available?.textContent, JSON.stringify(change)).toBe(shown);
      else expect(available, JSON.stringify(change)).toBeNull();
      unmount();
    }
  });

  it('says a timed-out payment timed out, not that it was declined', async () => {
    mockIPC((cmd) => (cmd === 'payment_detail' ? { ...detail, status: 'failed', statusCode: 'P0020', statusMessage: 'Payment expired', refundStatus: 'unavailable' } : null));
    render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('payment-status').textContent).toContain('Timed out'));
    expect(document.body.textContent).not.toContain('Declined');
    expect(document.body.textContent).not.toContain('Payment expired');
  });

  it('offers no refund to a call-centre desktop', async () => {
    mockIPC((cmd) => (cmd === 'payment_detail' ? detail : null));
    render(PaymentPage, { service: { ...service, role: 'call_centre', permissions: ['view_payments', 'take_telephone_payment'], roleLabel: 'Call centre' }, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('payment-heading')).toBeTruthy());
    expect(screen.queryByTestId('refund-start')).toBeNull();
  });

  it('tells one story: GOV.UK Pay, staff actions not told elsewhere, and case notes, newest first', async () => {
    const action = (seq: number, at: string, action: string, phase: string, detail = '', amount: number | null = 1000) => ({
      seq, at, operator: 'Sam Patel', serviceId: 's1', serviceName: 'Parking permits', action, phase, attemptSeq: null,
      paymentId: detail ? 'pay1' : 'pay1', targetId: null, amount, payCode: null, detail, reason: null, reasonNote: null,
    });
    mockIPC((cmd) =>
      cmd === 'payment_detail'
        ? {
            ...detail,
            timeline: [
              { kind: 'refund', title: 'Refund successful', amount: 1000, at: '2026-11-22T09:00:00.000Z', detail: 'Overpayment. Refunded by Sam Patel. Refund ID r1' },
              { kind: 'payment', title: 'Successful', amount: 4250, at: '2026-11-21T10:00:00.000Z', detail: null },
            ],
            actions: [
              action(1, '2026-11-22T08:59:59.000Z', 'refund', 'attempt'),
              action(2, '2026-11-22T09:00:00.000Z', 'refund', 'succeeded'),
              action(3, '2026-11-23T11:00:00.000Z', 'refund', 'not_sent', 'not sent: the amount available changed from £32.50 to £20.00'),
            ],
            case: { id: 'c1', serviceId: 's1', reference: 'CASE-7', title: '', createdAt: '2026-11-21T12:00:00.000Z', paymentIds: ['pay1'],
              notes: [{ id: 4, author: 'Pat Supervisor', body: 'Caller asked twice', createdAt: '2026-11-24T08:00:00.000Z' }] },
          }
        : cmd === 'refund_reasons' ? REASONS : null,
    );
    const { container } = render(PaymentPage, { service, paymentId: detail.paymentId });
    await waitFor(() => expect(screen.getByTestId('timeline').textContent).toContain('Caller asked twice'));
    const titles = [...container.querySelectorAll('[data-testid=timeline] .moj-timeline__title')].map((t) => t.textContent);
    // The successful refund once (GOV.UK Pay's line names who made it); the
    // stopped one as a staff action; the note; newest first.
    expect(titles).toEqual(['Case note (CASE-7)', 'Refund – £10.00', 'Refund successful – £10.00', 'Successful – £42.50']);
    const timeline = screen.getByTestId('timeline').textContent ?? '';
    expect(timeline).toContain('Stopped by Paydesk, not sent: the amount available changed from £32.50 to £20.00. By Sam Patel.');
    expect(timeline).toContain('Caller asked twice — Pat Supervisor');
    await expectNoAxeViolations(container);
  });

  it('keeps the payment in view, names it in the title, copies its IDs and prints without the full card number', async () => {
    mockIPC((cmd) => (cmd === 'payment_detail' ? detail : cmd === 'refund_reasons' ? REASONS : null));
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (t: string) => void copied.push(t) } });
    let printed = 0;
    const print = window.print;
    window.print = () => void (printed += 1);
    const { pageTitle } = await import('../../lib/title.svelte');
    const { container, unmount } = render(PaymentPage, { service, paymentId: detail.paymentId });
    try {
      await waitFor(() => expect(screen.getByTestId('identity-bar').textContent).toContain('PK-1'));
      const bar = screen.getByTestId('identity-bar').textContent ?? '';
      for (const part of ['£42.50', 'Success', 'Parking permits', 'Details', 'Card', 'Timeline', 'Staff actions', 'Case']) expect(bar).toContain(part);
      // No refunds yet: no jump to them.
      expect(bar).not.toContain('Refunds');
      expect(pageTitle.own).toBe('Payment PK-1');

      await fireEvent.click(screen.getByTestId('copy-payment-id'));
      await fireEvent.click(screen.getByTestId('copy-reference'));
      await fireEvent.click(screen.getByTestId('copy-provider-id'));
      await waitFor(() => expect(copied).toEqual(['pay1aaaaaaaaaaaaaaaaaaaaaa', 'PK-1', 'pi_1']));
      expect(container.textContent).toContain('provider ID copied');

      await fireEvent.click(screen.getByTestId('print-payment'));
      await waitFor(() => expect(printed).toBe(1));
      expect(screen.getByTestId('printed-by').textContent).toMatch(/printed \d/);
      // On paper: the last four digits only, never the first six.
      const card = screen.getByTestId('card');
      const fullNumber = [...card.querySelectorAll('.govuk-summary-list__row')].find((r) => r.textContent?.includes('424242'));
      expect(fullNumber?.classList.contains('paydesk-no-print')).toBe(true);
      expect(card.querySelector('.paydesk-print-only')?.textContent).toContain('4242');
      expect(card.querySelector('.paydesk-print-only')?.textContent).not.toContain('424242');
      await expectNoAxeViolations(container);
    } finally {
      window.print = print;
      unmount();
    }
    expect(pageTitle.own).toBeNull();
  });
});
