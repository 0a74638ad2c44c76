import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ApprovalSettings } from '../../bindings/ApprovalSettings';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';
import ApprovalRulesForm from './ApprovalRulesForm.svelte';

const offered: ApprovalSettings = {
  offered: true,
  whyNot: null,
  canSet: true,
  rules: { above: 10_000, olderThanDays: null, ownTelephone: false },
  summary: ['Refunds of more than £100.00'],
  setBy: 'Ali Khan',
  setAt: '2026-12-04T09:00:00Z',
  byOrganisation: false,
};

describe('ApprovalRulesForm', () => {
  it('says why approvals are not offered on a single desktop', async () => {
    mockIPC((cmd) => (cmd === 'approval_settings' ? { ...offered, offered: false, canSet: false, whyNot: 'Approvals need a second person.', summary: [], setBy: null, setAt: null } : null));
    const { container } = render(ApprovalRulesForm, { service: testService('supervisor') });
    await waitFor(() => expect(screen.getByTestId('approvals-not-offered').textContent).toContain('Approvals need a second person.'));
    expect(screen.queryByTestId('approval-form')).toBeNull();
    await expectNoAxeViolations(container);
  });

  it('shows the rules, and saves a supervisor’s change with errors by field', async () => {
    const sent: unknown[] = [];
    let fail = true;
    mockIPC((cmd, args) => {
      if (cmd === 'approval_settings') return offered;
      if (cmd === 'approval_rules_set') {
        sent.push(args);
        if (fail) {
          fail = false;
          throw { code: 'validation', message: 'Check', retryable: false, fields: [{ field: 'olderThanDays', message: 'Enter a whole number of days from 1 to 3650, or leave it empty' }] };
        }
        return { ...offered, rules: { above: 10_000, olderThanDays: 30, ownTelephone: true }, summary: ['Refunds of more than £100.00', 'Any refund of a payment made more than 30 days ago', 'Any refund of a telephone payment the same person took'] };
      }
      return null;
    });
    const { container } = render(ApprovalRulesForm, { service: testService('supervisor') });
    await waitFor(() => expect(screen.getByTestId('approval-summary').textContent).toContain('Refunds of more than £100.00'));
    expect((screen.getByTestId('approval-above') as HTMLInputElement).value).toBe('100.00');
    await fireEvent.input(screen.getByTestId('approval-days'), { target: { value: '0' } });
    await fireEvent.click(screen.getByTestId('approval-save'));
    await waitFor(() => expect(container.querySelector('#approval-days-error')?.textContent).toContain('from 1 to 3650'));
    await expectNoAxeViolations(container);
    await fireEvent.input(screen.getByTestId('approval-days'), { target: { value: '30' } });
    await fireEvent.click(screen.getByTestId('approval-own'));
    await fireEvent.click(screen.getByTestId('approval-save'));
    await waitFor(() => expect(screen.getByTestId('approval-saved')).toBeTruthy());
    expect(screen.getByTestId('approval-summary').textContent).toContain('30 days');
    expect(sent[1]).toEqual({ serviceId: 's1', rules: { above: '100.00', olderThanDays: '30', ownTelephone: true } });
  });

  it('shows a caseworker the rules without the form', async () => {
    mockIPC((cmd) => (cmd === 'approval_settings' ? { ...offered, canSet: false } : null));
    render(ApprovalRulesForm, { service: testService('caseworker') });
    await waitFor(() => expect(screen.getByTestId('approval-summary')).toBeTruthy());
    expect(screen.queryByTestId('approval-form')).toBeNull();
  });
});
