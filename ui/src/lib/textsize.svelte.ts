// How large the page is drawn: the person's own choice on this desktop,
// kept between runs. Ctrl and + or − steps it, Ctrl and 0 goes back to
// 100%, as in a browser; the header's "Text size" menu does the same.
import { setWindowZoom } from '../api/ipc';

/** The sizes offered, as fractions of the standard size. */
export const SIZES: readonly number[] = [0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];

const KEY = 'paydesk.textSize';

/** A size kept earlier, if it is one of SIZES; else the standard size. */
export function keptSize(stored: string | null): number {
  const n = Number(stored);
  return SIZES.includes(n) ? n : 1;
}

/** The size `steps` away from `from` (up with a positive number), within SIZES. */
export function stepped(from: number, steps: number): number {
  const at = SIZES.indexOf(from);
  const i = Math.min(SIZES.length - 1, Math.max(0, (at < 0 ? SIZES.indexOf(1) : at) + steps));
  return SIZES[i];
}

/** What a key press asks of the size (Ctrl or Cmd with +, =, − or 0), if anything. */
export function sizeKey(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey'>): 'bigger' | 'smaller' | 'standard' | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  if (e.key === '+' || e.key === '=') return 'bigger';
  if (e.key === '-' || e.key === '_') return 'smaller';
  if (e.key === '0') return 'standard';
  return null;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

class TextSize {
  size = $state(keptSize(storage()?.getItem(KEY) ?? null));
  percent = $derived(Math.round(this.size * 100));

  /** Draws the page at the kept size (at start). */
  apply(): Promise<void> {
    return setWindowZoom(this.size).catch(() => undefined);
  }

  set(size: number): Promise<void> {
    this.size = keptSize(String(size));
    storage()?.setItem(KEY, String(this.size));
    return this.apply();
  }

  step(steps: number): Promise<void> {
    return this.set(stepped(this.size, steps));
  }

  /** Handles Ctrl and + / − / 0; true when the key was one of them. */
  onKey(e: KeyboardEvent): boolean {
    const change = sizeKey(e);
    if (!change) return false;
    e.preventDefault();
    void (change === 'standard' ? this.set(1) : this.step(change === 'bigger' ? 1 : -1));
    return true;
  }
}

export const textSize = new TextSize();
