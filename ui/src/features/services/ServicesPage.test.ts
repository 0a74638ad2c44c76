import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { services } from '../../lib/services.svelte';
import ServicesPage from './ServicesPage.svelte';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';

const parking = testService('caseworker', { environment: 'live' });

describe('ServicesPage', () => {
  it('lists the services the core returns, with their environment', async () => {
    mockIPC((cmd) => (cmd === 'services_list' ? [parking] : null));
    await services.refresh();
    const { container } = render(ServicesPage);
    expect(screen.getByRole('rowheader', { name: /^Parking permits/ })).toBeTruthy();
    expect(screen.getByText('LIVE')).toBeTruthy();
    expect(screen.getByText('Stored in keyring')).toBeTruthy();
    await expectNoAxeViolations(container);
  });

  it('shows field errors from the core in an error summary linked to the field', async () => {
    mockIPC((cmd) => {
      if (cmd === 'services_list') return [];
      if (cmd === 'services_add') {
        throw {
          code: 'validation',
          message: 'There is a problem with the details you entered',
          retryable: false,
          fields: [{ field: 'apiKey', message: 'Enter the API key' }],
        };
      }
      return null;
    });
    await services.refresh();
    const { container } = render(ServicesPage);
    const name = container.querySelector<HTMLInputElement>('#service-name')!;
    await fireEvent.input(name, { target: { value: 'Parking' } });
    await fireEvent.submit(container.querySelector('form')!);
    await waitFor(() => expect(container.querySelector('.govuk-error-summary')).toBeTruthy());
    const link = container.querySelector<HTMLAnchorElement>('.govuk-error-summary a')!;
    expect(link.textContent).toBe('Enter the API key');
    expect(link.getAttribute('href')).toBe('#service-api-key');
    expect(container.querySelector('#service-api-key-error')?.textContent).toContain('Enter the API key');
    // Nothing typed is lost.
    expect(name.value).toBe('Parking');
    await expectNoAxeViolations(container);
  });

  it('sends what was typed and empties the key field once the service is added', async () => {
    let sent: Record<string, unknown> | undefined;
    mockIPC((cmd, args) => {
      if (cmd === 'services_list') return sent ? [parking] : [];
      if (cmd === 'services_add') {
        sent = (args as { input: Record<string, unknown> }).input;
        return parking;
      }
      return null;
    });
    await services.refresh();
    const { container } = render(ServicesPage);
    await fireEvent.input(container.querySelector('#service-name')!, { target: { value: 'Parking permits' } });
    const key = container.querySelector<HTMLInputElement>('#service-api-key')!;
    await fireEvent.input(key, { target: { value: 'api_live_abc' } });
    await fireEvent.click(container.querySelector('#env-live')!);
    await fireEvent.submit(container.querySelector('form')!);
    await waitFor(() => expect(screen.getByTestId('notice').textContent).toContain('Parking permits was added'));
    expect(sent).toEqual({ name: 'Parking permits', baseUrl: undefined, environment: 'live', role: 'caseworker', apiKey: 'api_live_abc' });
    expect(key.value).toBe('');
  });

  it('offers the sandbox when nothing is set up, and uses it once started', async () => {
    const sandbox = testService('caseworker', { id: 'sb', name: 'GOV.UK Pay sandbox (simulated)', sandbox: true });
    let started = false;
    mockIPC((cmd) => {
      if (cmd === 'services_list') return started ? [sandbox] : [];
      if (cmd === 'sandbox_start') {
        started = true;
        return sandbox;
      }
      return null;
    });
    await services.refresh();
    const { container } = render(ServicesPage);
    await fireEvent.click(screen.getByTestId('try-sandbox'));
    await waitFor(() => expect(screen.getByTestId('notice').textContent).toContain('sandbox (simulated) is ready'));
    expect(started).toBe(true);
    expect(services.current?.id).toBe('sb');
    expect(container.textContent).toContain('starts afresh each time Paydesk opens');
  });
});
