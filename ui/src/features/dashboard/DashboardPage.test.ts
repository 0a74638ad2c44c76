import { mockIPC } from '@tauri-apps/api/mocks';
import { render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Dashboard } from '../../bindings/Dashboard';
import type { DashboardQuery } from '../../bindings/DashboardQuery';
import DashboardPage from './DashboardPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('supervisor');

const data: Dashboard = {
  today: { fromMs: 0, toMs: 1, payments: { count: 3, value: 12_345 }, refunds: { count: 1, value: 500 } },
  week: { fromMs: Date.UTC(2026, 10, 16), toMs: 1, payments: { count: 40, value: 1_234_500 }, refunds: { count: 2, value: 1_500 } },
  refundsByOperator: [
    { operator: 'Asha Supervisor', refunds: { count: 1, value: 1_000 } },
    { operator: null, refunds: { count: 1, value: 500 } },
  ],
  refundsByReason: [
    { reason: 'duplicate_payment', label: 'Duplicate payment', refunds: { count: 1, value: 1_000 } },
    { reason: null, label: 'No reason recorded', refunds: { count: 1, value: 500 } },
  ],
  disputesDue: [
    {
      dispute: {
        disputeId: 'd1',
        paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa',
        amount: 4_000,
        fee: 1_500,
        netAmount: -5_500,
        status: 'needs_response',
        reason: 'fraudulent',
        reasonText: 'The cardholder says they did not make this payment',
        createdDate: '2026-11-20T09:00:00.000Z',
        evidenceDueDate: '2026-11-23T09:00:00.000Z',
        settledDate: null,
      },
      paymentReference: 'PK-9',
      daysLeft: 1,
      urgency: 'due_soon',
    },
  ],
  unfinishedTelephone: [],
  outcomesUnknown: [
    {
      attempt: {
        seq: 12, at: '2026-11-20T09:00:00.000Z', operator: 'Sam Caseworker', serviceId: 's1', serviceName: 'Parking permits',
        action: 'refund', phase: 'attempt', attemptSeq: null, paymentId: 'pay2aaaaaaaaaaaaaaaaaaaaaa', targetId: null, amount: 250, payCode: null, detail: '', reason: 'goodwill', reasonNote: null,
      },
      hours: 30,
      escalated: true,
    },
    {
      attempt: {
        seq: 14, at: '2026-11-21T09:00:00.000Z', operator: 'Sam Caseworker', serviceId: 's1', serviceName: 'Parking permits',
        action: 'cancel', phase: 'attempt', attemptSeq: null, paymentId: 'pay3aaaaaaaaaaaaaaaaaaaaaa', targetId: null, amount: 900, payCode: null, detail: '', reason: null, reasonNote: null,
      },
      hours: 2,
      escalated: false,
    },
  ],
};

describe('DashboardPage', () => {
  it("shows the day's and week's figures, who refunded, and what is due", async () => {
    const asked: DashboardQuery[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'dashboard') {
        asked.push((args as { query: DashboardQuery }).query);
        return data;
      }
      return null;
    });
    const { container } = render(DashboardPage, { service });
    await waitFor(() => expect(screen.getByTestId('dashboard-today-payments-value').textContent).toBe('£123.45'));
    expect(screen.getByTestId('dashboard-week-payments-value').textContent).toBe('£12,345.00');
    expect(screen.getByTestId('dashboard-today').textContent).toContain('3 payments');
    const ops = screen.getByTestId('dashboard-operators').textContent ?? '';
    expect(ops).toContain('Asha Supervisor');
    expect(ops).toContain('Outside Paydesk');
    const why = [...screen.getByTestId('dashboard-reasons').querySelectorAll('tbody tr')].map((r) => r.textContent ?? '');
    expect(why).toEqual(['Duplicate payment1£10.00', 'No reason recorded1£5.00']);
    expect(screen.getByTestId('dashboard-disputes').textContent).toContain('1 day left');
    expect(screen.getByTestId('dashboard-telephone-none')).toBeTruthy();
    // Outcomes not known: a day old is escalated to the supervisor.
    const unknown = screen.getByTestId('dashboard-unknown');
    const rows = unknown.querySelectorAll('tbody tr');
    expect(rows[0].textContent).toContain('Over a day: check in the admin tool');
    expect(rows[0].textContent).toContain('Refund');
    expect(rows[0].textContent).toContain('£2.50');
    expect(rows[1].textContent).toContain('2 hours');
    expect(rows[1].textContent).not.toContain('Over a day');
    // The week starts on a Monday at UK midnight, before today does.
    const q = asked[0];
    expect(q.weekFromMs).toBeLessThanOrEqual(q.todayFromMs);
    expect(q.todayFromMs).toBeLessThan(q.toMs);
    await expectNoAxeViolations(container);
  });

  it('is for supervisors only', async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      return null;
    });
    const { container } = render(DashboardPage, { service: { ...service, role: 'caseworker', permissions: ['view_payments', 'refund', 'cancel_or_capture_payment'], roleLabel: 'Caseworker' } });
    expect(container.textContent).toContain('The dashboard is for supervisors');
    expect(asked).not.toContain('dashboard');
  });
});

