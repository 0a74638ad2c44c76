import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { AgreementDetail } from '../../bindings/AgreementDetail';
import AgreementPage from './AgreementPage.svelte';
import { pageTitle } from '../../lib/title.svelte';
import AgreementsPage from './AgreementsPage.svelte';
import NewAgreementPage from './NewAgreementPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const supervisor = testService('supervisor', { name: 'Garden waste' });
const caseworker = testService('caseworker', { name: 'Garden waste' });

const active: AgreementDetail = {
  serviceId: 's1',
  serviceName: 'Garden waste',
  agreement: {
    agreementId: 'agr1aaaaaaaaaaaaaaaaaaaaaa',
    reference: 'AGR-000001',
    description: 'Monthly garden waste collection',
    status: 'active',
    userIdentifier: 'user-1',
    createdDate: '2026-01-10T09:00:00.000Z',
    cancelledDate: null,
    instrument: { brand: 'Visa', cardType: 'debit', firstDigits: '424242', lastDigits: '4242', expiryDate: '12/29', cardholderName: 'Sam Patel' },
  },
  payments: [
    {
      paymentId: 'pay1aaaaaaaaaaaaaaaaaaaaaa',
      reference: 'GW-JAN',
      description: 'Garden waste',
      email: null,
      amount: 1250,
      status: 'success',
      finished: true,
      code: null,
      cardBrand: 'Visa',
      last4: '4242',
      cardholderName: 'Sam Patel',
      createdDate: '2026-02-01T09:00:00.000Z',
      refundStatus: 'available',
      refundAvailable: 1250,
      refundSubmitted: 0,
    },
  ],
  paymentTotal: 1,
  paymentsNote: null,
  canCancel: true,
};

describe('Agreements', () => {
  it('lists agreements by reference and status', async () => {
    const queries: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'agreements_list') {
        queries.push((args as { query: unknown }).query);
        return [active.agreement];
      }
      return null;
    });
    const { container } = render(AgreementsPage, { service: supervisor });
    await waitFor(() => expect(screen.getByRole('link', { name: 'AGR-000001' }).getAttribute('href')).toBe('#/agreements/agr1aaaaaaaaaaaaaaaaaaaaaa'));
    expect(container.textContent).toContain('Visa ending 4242');
    await fireEvent.change(screen.getByTestId('agreement-status'), { target: { value: 'active' } });
    await fireEvent.input(screen.getByTestId('agreement-reference'), { target: { value: 'AGR' } });
    await waitFor(() => expect(queries).toContainEqual({ reference: 'AGR', status: 'active' }));
    expect(screen.getByTestId('agreement-new')).toBeTruthy();
    await expectNoAxeViolations(container);
  });

  it('does not offer a caseworker "Set up an agreement"', async () => {
    mockIPC((cmd) => (cmd === 'agreements_list' ? [] : null));
    render(AgreementsPage, { service: caseworker });
    await waitFor(() => expect(screen.getByTestId('agreement-count').textContent).toContain('0 agreements'));
    expect(screen.queryByTestId('agreement-new')).toBeNull();
  });

  it('shows the card and payments, and cancels once after confirming', async () => {
    const sent: unknown[] = [];
    let current = active;
    mockIPC((cmd, args) => {
      if (cmd === 'agreement_detail') return current;
      if (cmd === 'agreement_cancel') {
        sent.push(args);
        current = { ...active, canCancel: false, agreement: { ...active.agreement, status: 'cancelled', cancelledDate: '2026-11-21T10:00:00.000Z' } };
        return { status: 'cancelled', reconciled: false };
      }
      return null;
    });
    const { container } = render(AgreementPage, { service: supervisor, agreementId: active.agreement.agreementId });
    await waitFor(() => expect(screen.getByTestId('agreement-instrument').textContent).toContain('Sam Patel'));
    expect(screen.getByRole('link', { name: 'GW-JAN' })).toBeTruthy();
    expect(pageTitle.own).toBe(`Agreement ${active.agreement.reference}`);
    await expectNoAxeViolations(container);
    await fireEvent.click(screen.getByTestId('agreement-cancel'));
    expect(sent).toEqual([]);
    const yes = await screen.findByTestId('agreement-cancel-confirm-button');
    await fireEvent.click(yes);
    await fireEvent.click(yes);
    await waitFor(() => expect(screen.getByTestId('agreement-notice').textContent).toContain('The agreement was cancelled'));
    expect(sent).toEqual([{ serviceId: 's1', agreementId: active.agreement.agreementId }]);
    await waitFor(() => expect(screen.getByTestId('agreement-status-tag').textContent).toBe('Cancelled'));
    expect(screen.queryByTestId('agreement-cancel')).toBeNull();
  });

  it('explains P2501 when GOV.UK Pay refuses the cancel', async () => {
    mockIPC((cmd) => {
      if (cmd === 'agreement_detail') return active;
      if (cmd === 'agreement_cancel') {
        throw { code: 'conflict', message: 'Only an active agreement can be cancelled: this one is inactive.', retryable: false, payCode: 'P2501' };
      }
      return null;
    });
    const { container } = render(AgreementPage, { service: supervisor, agreementId: active.agreement.agreementId });
    await fireEvent.click(await screen.findByTestId('agreement-cancel'));
    await fireEvent.click(await screen.findByTestId('agreement-cancel-confirm-button'));
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Only an active agreement can be cancelled'));
    expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('P2501');
  });

  it('does not offer cancel to a caseworker, and says who can', async () => {
    mockIPC((cmd) => (cmd === 'agreement_detail' ? { ...active, canCancel: false } : null));
    render(AgreementPage, { service: caseworker, agreementId: active.agreement.agreementId });
    await waitFor(() => expect(screen.getByTestId('agreement-cancel-not-offered').textContent).toContain('Only a supervisor'));
    expect(screen.queryByTestId('agreement-cancel')).toBeNull();
  });

  it('checks a new agreement before sending it and names the fields', async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'agreement_create') {
        sent.push(args);
        throw { code: 'conflict', message: 'Recurring payments are turned off for this service, so it cannot set up agreements.', retryable: false, payCode: 'P0942' };
      }
      return null;
    });
    const { container } = render(NewAgreementPage, { service: supervisor });
    await fireEvent.click(screen.getByTestId('agreement-new-submit'));
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Enter a reference'));
    expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Enter a description');
    expect(container.querySelector<HTMLAnchorElement>('.govuk-error-summary a')!.getAttribute('href')).toBe('#new-agreement-reference');
    expect(sent).toEqual([]);
    await expectNoAxeViolations(container);
    await fireEvent.input(screen.getByLabelText('Reference'), { target: { value: 'GW-1' } });
    await fireEvent.input(screen.getByLabelText('Description'), { target: { value: 'Garden waste' } });
    await fireEvent.click(screen.getByTestId('agreement-new-submit'));
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')?.textContent).toContain('Recurring payments are turned off'));
    expect(sent).toEqual([{ serviceId: 's1', agreement: { reference: 'GW-1', description: 'Garden waste', userIdentifier: undefined } }]);
  });
});
