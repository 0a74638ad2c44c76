import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ApprovalItem } from '../../bindings/ApprovalItem';
import type { RefundRequestView } from '../../bindings/RefundRequestView';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';
import ApprovalsPage from './ApprovalsPage.svelte';

const request = (id: number, change: Partial<RefundRequestView> = {}): RefundRequestView => ({
  id,
  serviceId: 's1',
  paymentId: `pay${id}aaaaaaaaaaaaaaaaaaaaaa`,
  reference: `PK-${id}`,
  amount: 2_500,
  available: 5_000,
  reason: 'duplicate_payment',
  reasonText: 'Duplicate payment: paid online and by phone',
  needs: 'refunds of more than £10.00 need approval',
  requester: 'Sam Patel',
  askedAt: '2026-12-04T09:00:00Z',
  expiresAt: '2026-12-11T09:00:00Z',
  status: 'waiting',
  statusText: 'Waiting for approval',
  decider: null,
  decidedAt: null,
  decisionNote: null,
  refundId: null,
  mine: false,
  canDecide: true,
  ...change,
});

const waiting: ApprovalItem[] = [
  {
    request: request(1),
    ageHours: 50,
    citizenRefunds: [{ paymentId: 'pay9aaaaaaaaaaaaaaaaaaaaaa', reference: 'PK-9', refundId: 'r9', amount: 700, status: 'success', createdDate: '2026-11-30T10:00:00Z' }],
  },
  { request: request(2, { requester: 'Ali Khan', mine: true, canDecide: false }), ageHours: 0, citizenRefunds: [] },
];

describe('ApprovalsPage', () => {
  it('lets a supervisor approve once, after a question, and never their own request', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'approvals_waiting') return waiting;
      if (cmd === 'refund_requests_mine') return [request(2, { requester: 'Ali Khan', mine: true, canDecide: false })];
      if (cmd === 'refund_request_approve') return { refundId: 'r1', amount: 2_500, status: 'success', availableAfter: 2_500, reconciled: false, request: null };
      return null;
    });
    const { container } = render(ApprovalsPage, { service: testService('supervisor') });
    await waitFor(() => expect(screen.getAllByTestId('approval').length).toBe(2));
    const first = screen.getAllByTestId('approval')[0];
    expect(first.textContent).toContain('£25.00 for PK-1, asked for by Sam Patel 2 days ago');
    expect(first.textContent).toContain('refunds of more than £10.00 need approval');
    expect(screen.getAllByTestId('citizen-refunds')[0].textContent).toContain('£7.00 on PK-9');
    expect(screen.getByTestId('approval-own').textContent).toContain('another supervisor must approve');
    expect(screen.getAllByTestId('approve-start').length).toBe(1);
    await expectNoAxeViolations(container);

    await fireEvent.click(screen.getByTestId('approve-start'));
    const confirm = await screen.findByTestId('approve-confirm');
    expect(confirm.textContent).toContain('Approve and refund £25.00 to the cardholder now?');
    const yes = screen.getByTestId('approve-confirm-button');
    await fireEvent.click(yes);
    await fireEvent.click(yes);
    await waitFor(() => expect(screen.getByTestId('approval-notice').textContent).toContain('You approved the refund of £25.00 for PK-1'));
    expect(calls.filter(([c]) => c === 'refund_request_approve')).toEqual([['refund_request_approve', { requestId: 1 }]]);
  });

  it('asks why before rejecting, and shows the person who asked where each request is', async () => {
    const rejected: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'approvals_waiting') return waiting.slice(0, 1);
      if (cmd === 'refund_requests_mine') {
        return [
          request(3, { mine: true, status: 'rejected', statusText: 'Rejected by Jo Evans: paid by cheque', canDecide: false }),
          request(4, { mine: true, status: 'sent', statusText: 'Approved by Ali Khan and refunded', canDecide: false }),
        ];
      }
      if (cmd === 'refund_request_reject') {
        rejected.push(args);
        return request(1, { status: 'rejected' });
      }
      return null;
    });
    const { container } = render(ApprovalsPage, { service: testService('supervisor') });
    await waitFor(() => expect(screen.getAllByTestId('my-request-status').length).toBe(2));
    const statuses = screen.getAllByTestId('my-request-status').map((s) => s.textContent ?? '');
    expect(statuses[0]).toContain('Rejected by Jo Evans: paid by cheque');
    expect(statuses[1]).toContain('Approved and refunded');
    await fireEvent.click(screen.getByTestId('reject-start'));
    await fireEvent.click(await screen.findByTestId('reject-button'));
    await waitFor(() => expect(container.querySelector('#decision-note-error')?.textContent).toContain('Enter why the refund is rejected'));
    expect(rejected).toEqual([]);
    await expectNoAxeViolations(container);
    await fireEvent.input(screen.getByTestId('decision-note'), { target: { value: 'Refunded by cheque' } });
    await fireEvent.click(screen.getByTestId('reject-button'));
    await waitFor(() => expect(screen.getByTestId('approval-notice').textContent).toContain('You rejected the refund'));
    expect(rejected).toEqual([{ requestId: 1, note: 'Refunded by cheque' }]);
  });

  it('shows a caseworker only their own requests', async () => {
    const asked: string[] = [];
    mockIPC((cmd) => {
      asked.push(cmd);
      if (cmd === 'refund_requests_mine') return [];
      return null;
    });
    render(ApprovalsPage, { service: testService('caseworker') });
    await waitFor(() => expect(screen.getByTestId('mine-none')).toBeTruthy());
    expect(asked).not.toContain('approvals_waiting');
    expect(screen.queryByText('Waiting for approval')).toBeNull();
  });
});
