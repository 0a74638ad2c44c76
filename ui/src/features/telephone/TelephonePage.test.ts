import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import TelephonePage from './TelephonePage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const service = testService('call_centre');

async function type(container: HTMLElement, id: string, value: string) {
  await fireEvent.input(container.querySelector(`#${id}`)!, { target: { value } });
}

describe('TelephonePage', () => {
  it('checks what is paid for before creating anything, naming each field', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return cmd === 'telephone_payments_list' ? [] : null;
    });
    const { container } = render(TelephonePage, { service });
    await expectNoAxeViolations(container);
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    const summary = container.querySelector('.govuk-error-summary')!;
    for (const m of ['Enter the amount to take', 'Enter a reference', 'Enter a description']) {
      expect(summary.textContent).toContain(m);
    }
    await type(container, 'tp-amount', '1,50');
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    expect(container.querySelector('#tp-amount-error')?.textContent).toContain('Enter an amount in pounds and pence, like 12.50');
    expect(calls).not.toContain('telephone_payment_start');
    await expectNoAxeViolations(container);
  });

  it('creates the payment, checks the card, confirms, sends the card once and clears it', async () => {
    const sent: Record<string, unknown>[] = [];
    const calls: string[] = [];
    mockIPC((cmd, args) => {
      calls.push(cmd);
      if (cmd === 'telephone_payments_list') return [];
      if (cmd === 'telephone_payment_start') {
        sent.push({ start: args });
        return { paymentId: 'p1', amount: 2500, reference: 'R1', description: 'Permit' };
      }
      if (cmd === 'telephone_payment_duplicates') return [];
      if (cmd === 'telephone_payment_authorise') {
        sent.push(args as Record<string, unknown>);
        return { result: 'taken', paymentId: 'p1', amount: 2500, reference: 'R1', last4: '1111', status: 'success', payCode: null, message: 'Payment taken: £25.00 for reference R1, from the card ending 1111.' };
      }
      return null;
    });
    const { container } = render(TelephonePage, { service });
    await type(container, 'tp-amount', '25');
    await type(container, 'tp-reference', 'R1');
    await type(container, 'tp-description', 'Permit');
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    await waitFor(() => expect(screen.getByTestId('card-form')).toBeTruthy());
    expect(sent[0]).toMatchObject({ start: { input: { amount: '25', reference: 'R1' } } });
    // The card step: checked here, before the confirmation.
    await fireEvent.submit(screen.getByTestId('card-form'));
    for (const m of ['Enter the card number', 'Enter the expiry date', 'Enter the security code', 'Enter the name as it appears on the card']) {
      expect(container.querySelector('.govuk-error-summary')!.textContent).toContain(m);
    }
    await type(container, 'tp-card-number', '4444333322221111');
    expect((container.querySelector('#tp-card-number') as HTMLInputElement).value).toBe('4444 3333 2222 1111');
    await type(container, 'tp-expiry', '1230');
    expect((container.querySelector('#tp-expiry') as HTMLInputElement).value).toBe('12/30');
    await type(container, 'tp-cvc', '123');
    await type(container, 'tp-name', 'Jo Bloggs');
    await fireEvent.submit(screen.getByTestId('card-form'));
    await waitFor(() => expect(screen.getByTestId('tp-confirm')).toBeTruthy());
    expect(screen.getByTestId('tp-confirm-amount').textContent).toBe('£25.00');
    expect(screen.getByTestId('tp-confirm-card').textContent).toContain('Visa ending 1111');
    expect(screen.getByTestId('tp-confirm').textContent).toContain('TEST');
    expect(calls).not.toContain('telephone_payment_authorise');
    await expectNoAxeViolations(container);
    const takeButton = screen.getByTestId('tp-submit');
    await fireEvent.click(takeButton);
    await fireEvent.click(takeButton);
    await waitFor(() => expect(screen.getByTestId('receipt').textContent).toContain('1111'));
    const authorised = sent.filter((s) => 'card' in s);
    expect(authorised).toHaveLength(1);
    expect(authorised[0]).toMatchObject({ paymentId: 'p1', duplicatesConfirmed: false, card: { cardNumber: '4444333322221111', expiryDate: '12/30', cvc: '123' } });
    expect(container.textContent).not.toContain('4444 3333');
    await fireEvent.click(screen.getByTestId('another'));
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    expect((container.querySelector('#tp-amount') as HTMLInputElement).value).toBe('');
    await expectNoAxeViolations(container);
  });

  it('warns of a duplicate and sends nothing until the agent confirms', async () => {
    const authorised: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'telephone_payments_list') return [];
      if (cmd === 'telephone_payment_start') return { paymentId: 'p2', amount: 2500, reference: 'R1', description: 'Permit' };
      if (cmd === 'telephone_payment_duplicates')
        return [{ paymentId: 'p1', reference: 'R1', amount: 2500, operator: 'Ali Agent', createdAt: '2026-12-04T10:00:00Z', status: 'success', finished: true, code: null, last4: '1111' }];
      if (cmd === 'telephone_payment_authorise') {
        authorised.push(args);
        return { result: 'taken', paymentId: 'p2', amount: 2500, reference: 'R1', last4: '1111', status: 'success', payCode: null, message: 'Payment taken.' };
      }
      return null;
    });
    const { container } = render(TelephonePage, { service });
    await type(container, 'tp-amount', '25.00');
    await type(container, 'tp-reference', 'R1');
    await type(container, 'tp-description', 'Permit');
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    await waitFor(() => expect(screen.getByTestId('card-form')).toBeTruthy());
    await type(container, 'tp-card-number', '4444333322221111');
    await type(container, 'tp-expiry', '1230');
    await type(container, 'tp-cvc', '123');
    await type(container, 'tp-name', 'Jo Bloggs');
    await fireEvent.submit(screen.getByTestId('card-form'));
    await waitFor(() => expect(screen.getByTestId('tp-duplicates').textContent).toContain('may be a duplicate'));
    expect(screen.getByTestId('tp-confirm').textContent).toContain('taken by Ali Agent');
    await fireEvent.click(screen.getByTestId('tp-submit'));
    expect(container.querySelector('#tp-duplicate-error')?.textContent).toContain('Confirm the caller wants to pay again');
    expect(authorised).toHaveLength(0);
    await fireEvent.click(screen.getByTestId('tp-duplicate-confirm'));
    await fireEvent.click(screen.getByTestId('tp-submit'));
    await waitFor(() => expect(authorised).toHaveLength(1));
    expect(authorised[0]).toMatchObject({ duplicatesConfirmed: true });
  });

  it('cancels a payment left at the card step when the agent goes elsewhere', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'telephone_payments_list') return [];
      if (cmd === 'telephone_payment_start') return { paymentId: 'p3', amount: 500, reference: 'R3', description: 'Permit' };
      return null;
    });
    const { container, unmount } = render(TelephonePage, { service });
    await type(container, 'tp-amount', '5');
    await type(container, 'tp-reference', 'R3');
    await type(container, 'tp-description', 'Permit');
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    await waitFor(() => expect(screen.getByTestId('card-form')).toBeTruthy());
    unmount();
    expect(calls.filter(([c]) => c === 'telephone_payment_abandon')).toEqual([
      ['telephone_payment_abandon', { serviceId: 's1', paymentId: 'p3' }],
    ]);
  });

  it('is not offered to a caseworker', () => {
    mockIPC(() => []);
    render(TelephonePage, { service: testService('caseworker') });
    expect(screen.queryByTestId('telephone-form')).toBeNull();
    expect(screen.getByText(/does not include taking telephone payments/)).toBeTruthy();
  });
});
