import { fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { expectNoAxeViolations } from '../../lib/axe.test-helper';
import { testService } from '../../lib/fixtures.test-helper';
import { services } from '../../lib/services.svelte';
import Header from './Header.svelte';

describe('Header', () => {
  afterEach(() => {
    services.list = [];
    services.currentId = null;
  });

  it('switches service from any page, and makes a LIVE service unmistakable', async () => {
    services.list = [
      testService('caseworker'),
      testService('supervisor', { id: 's2', name: 'Licensing', environment: 'live' }),
    ];
    services.currentId = 's1';
    const { container } = render(Header);
    expect(screen.getByTestId('current-service').textContent).toContain('Parking permits');
    expect(screen.queryByTestId('live-banner')).toBeNull();
    const header = screen.getByTestId('header');
    expect(header.classList.contains('paydesk-header--live')).toBe(false);
    // The other service only, marked LIVE.
    const choices = () => screen.getAllByTestId('switch-to').map((b) => b.textContent?.replace(/\s+/g, ' ').trim());
    expect(choices()).toEqual(['Licensing LIVE']);
    const menu = screen.getByTestId('service-switch') as HTMLDetailsElement;
    await fireEvent.click(screen.getByText('Switch service'));
    expect(menu.open).toBe(true);
    await expectNoAxeViolations(container);

    await fireEvent.click(screen.getAllByTestId('switch-to')[0]);
    expect(services.current?.id).toBe('s2');
    expect(screen.getByTestId('current-service').textContent).toContain('Licensing');
    expect(screen.getByTestId('live-banner').textContent).toContain('Licensing takes and refunds real money');
    expect(header.classList.contains('paydesk-header--live')).toBe(true);
    // Closed again, listing the one not in use.
    expect((screen.getByTestId('service-switch') as HTMLDetailsElement).open).toBe(false);
    expect(choices()).toEqual(['Parking permits test']);
    await expectNoAxeViolations(container);
  });

  it('closes the menu on Escape', async () => {
    services.list = [testService('caseworker'), testService('supervisor', { id: 's2', name: 'Licensing' })];
    services.currentId = 's1';
    render(Header);
    const menu = screen.getByTestId('service-switch') as HTMLDetailsElement;
    await fireEvent.click(screen.getByText('Switch service'));
    expect(menu.open).toBe(true);
    await fireEvent.keyDown(screen.getAllByTestId('switch-to')[0], { key: 'Escape' });
    expect(menu.open).toBe(false);
    expect(services.current?.id).toBe('s1');
  });

  it('offers no switch with one service', () => {
    services.list = [testService('caseworker')];
    render(Header);
    expect(screen.queryByTestId('service-switch')).toBeNull();
  });
});
