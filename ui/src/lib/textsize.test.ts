import { mockIPC } from '@tauri-apps/api/mocks';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Header from '../features/shell/Header.svelte';
import { SIZES, keptSize, sizeKey, stepped, textSize } from './textsize.svelte';

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: true, metaKey: false, altKey: false, ...mods });

describe('text size', () => {
  it('reads back only a size it offers', () => {
    expect(keptSize('1.25')).toBe(1.25);
    expect(keptSize(null)).toBe(1);
    expect(keptSize('3')).toBe(1);
    expect(keptSize('big')).toBe(1);
  });

  it('steps within its sizes and stops at either end', () => {
    expect(stepped(1, 1)).toBe(1.1);
    expect(stepped(1, -1)).toBe(0.9);
    expect(stepped(SIZES[SIZES.length - 1], 1)).toBe(SIZES[SIZES.length - 1]);
    expect(stepped(SIZES[0], -1)).toBe(SIZES[0]);
    expect(stepped(7, 1)).toBe(1.1);
  });

  it('answers Ctrl with +, −, 0 and nothing else', () => {
    expect(sizeKey(key('='))).toBe('bigger');
    expect(sizeKey(key('+'))).toBe('bigger');
    expect(sizeKey(key('-'))).toBe('smaller');
    expect(sizeKey(key('0'))).toBe('standard');
    expect(sizeKey(key('=', { ctrlKey: false }))).toBeNull();
    expect(sizeKey(key('=', { ctrlKey: false, metaKey: true }))).toBe('bigger');
    expect(sizeKey(key('=', { altKey: true }))).toBeNull();
    expect(sizeKey(key('f'))).toBeNull();
  });

  it('zooms the window from the header and by keys, and keeps the size', async () => {
    const zooms: number[] = [];
    mockIPC((cmd, args) => {
      if (cmd === 'plugin:webview|set_webview_zoom') zooms.push((args as { value: number }).value);
      return null;
    });
    await textSize.set(1);
    render(Header);
    expect(screen.getByTestId('text-size-now').textContent).toBe('100%');
    expect((screen.getByTestId('text-standard') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('text-bigger'));
    await waitFor(() => expect(screen.getByTestId('text-size-now').textContent).toBe('110%'));
    expect(localStorage.getItem('paydesk.textSize')).toBe('1.1');
    const press = new KeyboardEvent('keydown', { key: '-', ctrlKey: true, cancelable: true });
    expect(textSize.onKey(press)).toBe(true);
    expect(press.defaultPrevented).toBe(true);
    await waitFor(() => expect(screen.getByTestId('text-size-now').textContent).toBe('100%'));
    textSize.onKey(new KeyboardEvent('keydown', { key: '-', ctrlKey: true }));
    await waitFor(() => expect(screen.getByTestId('text-size-now').textContent).toBe('90%'));
    textSize.onKey(new KeyboardEvent('keydown', { key: '0', ctrlKey: true }));
    await waitFor(() => expect(screen.getByTestId('text-size-now').textContent).toBe('100%'));
    expect(zooms).toEqual([1, 1.1, 1, 0.9, 1]);
    expect(textSize.onKey(new KeyboardEvent('keydown', { key: 'p', ctrlKey: true }))).toBe(false);
  });
});
