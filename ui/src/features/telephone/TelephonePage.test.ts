import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ServiceView } from '../../bindings/ServiceView';
import TelephonePage from './TelephonePage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';

const service: ServiceView = {
  id: 's1',
  name: 'Parking permits',
  baseUrl: 'https://publicapi.payments.service.gov.uk',
  environment: 'test',
  role: 'call_centre',
  roleLabel: 'Call centre',
  hasKey: true,
  sandbox: false,
};

async function type(container: HTMLElement, id: string, value: string) {
  await fireEvent.input(container.querySelector(`#${id}`)!, { target: { value } });
}

describe('TelephonePage', () => {
  it('checks every field before sending, naming each', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return cmd === 'telephone_payments_list' ? [] : null;
    });
    const { container } = render(TelephonePage, { service });
    await expectNoAxeViolations(container);
    await fireEvent.submit(screen.getByTestId('telephone-form'));
    const summary = container.querySelector('.govuk-error-summary')!;
    for (const m of ['Enter the amount to take', 'Enter a reference', 'Enter the card number', 'Enter the expiry date', 'Enter the security code', 'Enter the name as it appears on the card']) {
      expect(summary.textContent).toContain(m);
    }
    expect(container.querySelector('#tp-cvc-error')?.textContent).toContain('Enter the security code');
    expect(calls).not.toContain('telephone_payment_take');
    await expectNoAxeViolations(container);
  });

  it('sends the card once, shows the result and clears the card details', async () => {
    const sent: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'telephone_payments_list') return [];
      if (cmd === 'telephone_payment_take') {
        sent.push(args);
        return { result: 'taken', paymentId: 'p1', amount: 2500, reference: 'R1', last4: '1111', status: 'success', payCode: null, message: 'Payment taken: £25.00 for reference R1, from the card ending 1111.' };
      }
      return null;
    });
    const { container } = render(TelephonePage, { service });
    await type(container, 'tp-amount', '25');
    await type(container, 'tp-reference', 'R1');
    await type(container, 'tp-description', 'Permit');
    await type(container, 'tp-card-number', '4444333322221111');
    expect((container.querySelector('#tp-card-number') as HTMLInputElement).value).toBe('4444 3333 2222 1111');
    await type(container, 'tp-expiry', '1230');
    expect((container.querySelector('#tp-expiry') as HTMLInputElement).value).toBe('12/30');
    await type(container, 'tp-cvc', '123');
    await type(container, 'tp-name', 'Jo Bloggs');
    const form = screen.getByTestId('telephone-form');
    await fireEvent.submit(form);
    await fireEvent.submit(form);
    await waitFor(() => expect(screen.getByTestId('receipt').textContent).toContain('1111'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ input: { amount: 2500, reference: 'R1' }, card: { cardNumber: '4444333322221111', expiryDate: '12/30', cvc: '123' } });
    expect(container.textContent).not.toContain('4444 3333');
    await fireEvent.click(screen.getByTestId('another'));
    expect((container.querySelector('#tp-card-number') as HTMLInputElement).value).toBe('');
    expect((container.querySelector('#tp-cvc') as HTMLInputElement).value).toBe('');
    await expectNoAxeViolations(container);
  });

  it('is not offered to a caseworker', () => {
    mockIPC(() => []);
    render(TelephonePage, { service: { ...service, role: 'caseworker', roleLabel: 'Caseworker' } });
    expect(screen.queryByTestId('telephone-form')).toBeNull();
    expect(screen.getByText(/does not include taking telephone payments/)).toBeTruthy();
  });
});
