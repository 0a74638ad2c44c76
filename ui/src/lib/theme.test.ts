import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Header from '../features/shell/Header.svelte';
import { keptTheme, resolved, theme } from './theme.svelte';

describe('colours', () => {
  it('reads back only a choice it offers, light by default', () => {
    expect(keptTheme('dark')).toBe('dark');
    expect(keptTheme('system')).toBe('system');
    expect(keptTheme('purple')).toBe('light');
    expect(keptTheme(null)).toBe('light');
  });

  it('follows the system only when asked to', () => {
    expect(resolved('system', true)).toBe('dark');
    expect(resolved('system', false)).toBe('light');
    expect(resolved('light', true)).toBe('light');
    expect(resolved('dark', false)).toBe('dark');
  });

  it('changes from the header menu and is kept', async () => {
    theme.set('light');
    render(Header);
    expect(document.documentElement.dataset.theme).toBe('light');
    await fireEvent.click(screen.getByTestId('theme-dark'));
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(localStorage.getItem('paydesk.theme')).toBe('dark');
    expect(screen.getByTestId('theme-dark').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('theme-light').getAttribute('aria-pressed')).toBe('false');
    await fireEvent.click(screen.getByTestId('theme-light'));
    expect(document.documentElement.dataset.theme).toBe('light');
  });
});
