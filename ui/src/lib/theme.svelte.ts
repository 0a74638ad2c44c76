// Light or dark colours, or whichever the system uses: the person's own
// choice on this desktop, kept between runs. The page carries it as
// `data-theme` on <html>; styles/theme.scss holds the dark colours, each
// pair checked for GOV.UK contrast by axe in the end-to-end run.

export type ThemeChoice = 'light' | 'dark' | 'system';

const KEY = 'paydesk.theme';
const CHOICES: readonly ThemeChoice[] = ['light', 'dark', 'system'];

/** A choice kept earlier, if it is one; else light, GOV.UK's own. */
export function keptTheme(stored: string | null): ThemeChoice {
  return CHOICES.find((c) => c === stored) ?? 'light';
}

/** The colours a choice means, given whether the system prefers dark. */
export function resolved(choice: ThemeChoice, systemDark: boolean): 'light' | 'dark' {
  return choice === 'dark' || (choice === 'system' && systemDark) ? 'dark' : 'light';
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

const systemQuery = () => globalThis.matchMedia?.('(prefers-color-scheme: dark)') ?? null;

class Theme {
  choice = $state<ThemeChoice>(keptTheme(storage()?.getItem(KEY) ?? null));

  /** Puts the colours on the page, and follows the system while it is the choice. */
  apply() {
    const dark = systemQuery()?.matches ?? false;
    document.documentElement.dataset.theme = resolved(this.choice, dark);
  }

  /** Starts following the system's light or dark setting (once, at start). */
  follow() {
    this.apply();
    systemQuery()?.addEventListener?.('change', () => this.apply());
  }

  set(choice: ThemeChoice) {
    this.choice = keptTheme(choice);
    storage()?.setItem(KEY, this.choice);
    this.apply();
  }
}

export const theme = new Theme();
