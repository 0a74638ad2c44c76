import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { PaymentDetail } from '../../bindings/PaymentDetail';
import { services } from '../../lib/services.svelte';
import PaymentPage from './PaymentPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('caseworker', { environment: 'live' });

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
    await waitFor(() => expect(container.querySelector('#refund-amount-error')?.textContent).toContain('no more than £42.50'));
    expect(sent).toEqual([]);
    await expectNoAxeViolations(container);

    await fireEvent.input(amount, { target: { value: '10' } });
    await fireEvent.click(screen.getByTestId('refund-continue'));
    const confirm = await screen.findByTestId('refund-confirm');
    expect(confirm.textContent).toContain('Refund £10.00 to the cardholder?');
    expect(confirm.textContent).toContain('£32.50 can still be refunded');
    expect(confirm.textContent).toContain('LIVE');
    const button = screen.getByTestId('refund-confirm-button');
    // A double click sends one refund.
    await fireEvent.click(button);
    await fireEvent.click(button);
    await waitFor(() => expect(screen.getByTestId('notice').textContent).toContain('The refund of £10.00 was made'));
    expect(sent).toEqual([{ serviceId: 's1', paymentId: detail.paymentId, amount: '10.00', expectedAvailable: 4250 }]);
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
});
