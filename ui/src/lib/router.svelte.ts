// A tiny hash router: the sections of the app, and which one is showing.

export type SectionId =
  | 'payments'
  | 'telephone'
  | 'disputes'
  | 'agreements'
  | 'approvals'
  | 'activity'
  | 'dashboard'
  | 'export'
  | 'services';

export interface Section {
  id: SectionId;
  /** Short, for the navigation bar. */
  label: string;
  /** The page's heading and window title, when longer than the label. */
  title?: string;
}

export const SECTIONS: readonly Section[] = [
  { id: 'payments', label: 'Payments' },
  { id: 'telephone', label: 'Telephone', title: 'Telephone payment' },
  { id: 'disputes', label: 'Disputes' },
  { id: 'agreements', label: 'Agreements' },
  { id: 'approvals', label: 'Approvals', title: 'Refund approvals' },
  { id: 'activity', label: 'Activity' },
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'export', label: 'Export', title: 'Finance export' },
  { id: 'services', label: 'Services' },
];

export function sectionFromHash(hash: string): SectionId {
  const id = hash.replace(/^#\/?/, '').split('/')[0];
  return SECTIONS.find((s) => s.id === id)?.id ?? 'services';
}

/** What follows the section in the hash: `#/payments/<id>` gives `['<id>']`. */
export function restFromHash(hash: string): string[] {
  return hash
    .replace(/^#\/?/, '')
    .split('/')
    .slice(1)
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
}

class Router {
  current = $state<SectionId>(sectionFromHash(globalThis.location?.hash ?? ''));
  rest = $state<string[]>(restFromHash(globalThis.location?.hash ?? ''));

  /** The address shown before this one (a list a payment was opened from),
   * for the way back. */
  previous = $state<string | null>(null);

  constructor() {
    globalThis.addEventListener?.('hashchange', (e: HashChangeEvent) => {
      const before = e.oldURL ? new URL(e.oldURL).hash : '';
      if (before) this.previous = before;
      this.current = sectionFromHash(location.hash);
      this.rest = restFromHash(location.hash);
    });
  }

  go(id: SectionId, ...rest: string[]) {
    const path = [id, ...rest.map((r) => encodeURIComponent(r))].join('/');
    if (globalThis.location) {
      if (location.hash) this.previous = location.hash;
      location.hash = `#/${path}`;
    }
    this.current = id;
    this.rest = rest;
  }
}

/** The address of a payment's page. */
export const paymentHref = (paymentId: string): string => `#/payments/${encodeURIComponent(paymentId)}`;

/** The address of an agreement's page. */
export const agreementHref = (agreementId: string): string => `#/agreements/${encodeURIComponent(agreementId)}`;

export const router = new Router();

/** Where "Back" goes from a page at `here`: the page it was opened from
 * (Payments, Disputes, Activity, Approvals...), else `fallback`. */
export function backHref(previous: string | null, here: string, fallback: string): string {
  return previous && previous !== here && previous !== '#' && previous !== '#/' ? previous : fallback;
}
