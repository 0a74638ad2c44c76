// A tiny hash router: the sections of the app, and which one is showing.

export type SectionId =
  | 'payments'
  | 'cases'
  | 'telephone'
  | 'disputes'
  | 'agreements'
  | 'approvals'
  | 'activity'
  | 'dashboard'
  | 'export'
  | 'services'
  | 'about';

export interface Section {
  id: SectionId;
  /** Short, for the navigation bar. */
  label: string;
  /** The page's heading and window title, when longer than the label. */
  title?: string;
}

export const SECTIONS: readonly Section[] = [
  { id: 'payments', label: 'Payments' },
  { id: 'cases', label: 'Cases' },
  { id: 'telephone', label: 'Telephone', title: 'Telephone payment' },
  { id: 'disputes', label: 'Disputes' },
  { id: 'agreements', label: 'Agreements' },
  { id: 'approvals', label: 'Approvals', title: 'Refund approvals' },
  { id: 'activity', label: 'Activity' },
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'export', label: 'Export', title: 'Finance export' },
  { id: 'services', label: 'Services' },
  { id: 'about', label: 'About', title: 'About Paydesk' },
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

/** The addresses walked through, once at `hash`: arriving at the one before
 * the last is going back (the last is taken off); anything else is a step
 * further. At most the last 50 are kept. */
export function walked(trail: readonly string[], hash: string): string[] {
  if (trail.length >= 2 && trail[trail.length - 2] === hash) return trail.slice(0, -1);
  if (trail[trail.length - 1] === hash) return [...trail];
  return [...trail, hash].slice(-50);
}

class Router {
  current = $state<SectionId>(sectionFromHash(globalThis.location?.hash ?? ''));
  rest = $state<string[]>(restFromHash(globalThis.location?.hash ?? ''));

  /** Where the person has been, the address showing last. */
  trail = $state<string[]>(globalThis.location?.hash ? [globalThis.location.hash] : []);

  /** The address shown before this one (a list a payment was opened from),
   * for the way back: after going back, the one before that. */
  get previous(): string | null {
    return this.trail.length >= 2 ? this.trail[this.trail.length - 2] : null;
  }

  constructor() {
    globalThis.addEventListener?.('hashchange', () => {
      this.trail = walked(this.trail, location.hash);
      this.current = sectionFromHash(location.hash);
      this.rest = restFromHash(location.hash);
    });
  }

  go(id: SectionId, ...rest: string[]) {
    const path = [id, ...rest.map((r) => encodeURIComponent(r))].join('/');
    if (globalThis.location) location.hash = `#/${path}`;
    this.current = id;
    this.rest = rest;
  }
}

/** The address of a payment's page. */
export const paymentHref = (paymentId: string): string => `#/payments/${encodeURIComponent(paymentId)}`;

/** The address of a case's page. */
export const caseHref = (caseId: string): string => `#/cases/${encodeURIComponent(caseId)}`;

/** The address of an agreement's page. */
export const agreementHref = (agreementId: string): string => `#/agreements/${encodeURIComponent(agreementId)}`;

export const router = new Router();

/** Where "Back" goes from a page at `here`: the page it was opened from
 * (Payments, Disputes, Activity, Approvals...), else `fallback`. */
export function backHref(previous: string | null, here: string, fallback: string): string {
  return previous && previous !== here && previous !== '#' && previous !== '#/' ? previous : fallback;
}
