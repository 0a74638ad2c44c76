import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it, vi } from 'vitest';
import type { About } from '../../bindings/About';
import type { PolicyView } from '../../bindings/PolicyView';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import AboutPage from './AboutPage.svelte';

const about: About = {
  version: '0.1.0',
  build: 'abc123def456',
  dataFolder: '/home/sam/.local/share/uk.paydesk.app',
  logFile: '/var/log/paydesk/paydesk.log',
  updates: 'Paydesk does not update itself: your organisation’s IT installs new versions.',
};

const policy: PolicyView = {
  file: '/etc/paydesk/policy.toml',
  problem: null,
  settings: [
    { name: 'LIVE services', value: 'Not allowed' },
    { name: 'Web proxy', value: 'http://proxy.example.gov.uk:3128' },
  ],
};

function ipc(view: PolicyView, diagnostics = 'Paydesk 0.1.0 (build abc123def456)\n') {
  mockIPC((cmd) => {
    if (cmd === 'about_get') return about;
    if (cmd === 'policy_get') return view;
    if (cmd === 'diagnostics_get') return diagnostics;
    return null;
  });
}

describe('AboutPage', () => {
  it('shows the version, where things are, and what the organisation sets', async () => {
    ipc(policy);
    const { container } = render(AboutPage);
    await waitFor(() => expect(screen.getByTestId('about-build').textContent).toBe('abc123def456'));
    expect(screen.getByTestId('about-log').textContent).toBe('/var/log/paydesk/paydesk.log');
    await waitFor(() => expect(screen.getByTestId('policy-settings').textContent).toContain('http://proxy.example.gov.uk:3128'));
    expect(container.textContent).toContain('cannot be changed in Paydesk');
    await expectNoAxeViolations(container);
  });

  it('copies the diagnostics, or shows them to copy by hand', async () => {
    ipc({ file: null, problem: null, settings: [] }, 'DIAGNOSTICS TEXT');
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(AboutPage);
    await waitFor(() => expect(screen.getByTestId('policy-none')).toBeTruthy());
    await fireEvent.click(screen.getByTestId('copy-diagnostics'));
    await waitFor(() => expect(screen.getByTestId('diagnostics-said').textContent).toContain('Diagnostics copied'));
    expect(writeText).toHaveBeenCalledWith('DIAGNOSTICS TEXT');

    writeText.mockRejectedValueOnce(new Error('no clipboard'));
    await fireEvent.click(screen.getByTestId('copy-diagnostics'));
    await waitFor(() => expect((screen.getByTestId('diagnostics-text') as HTMLTextAreaElement).value).toBe('DIAGNOSTICS TEXT'));
  });

  it('says when the policy file cannot be used', async () => {
    ipc({ file: '/etc/paydesk/policy.toml', problem: '/etc/paydesk/policy.toml, line 3, setting network.proxy: must be a web proxy’s address', settings: [] });
    render(AboutPage);
    await waitFor(() => expect(document.body.textContent).toContain('setting network.proxy'));
  });
});
