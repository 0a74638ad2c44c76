// A tiny hash router: the sections of the app, and which one is showing.

export type SectionId =
  | 'payments'
  | 'telephone'
  | 'disputes'
  | 'agreements'
  | 'activity'
  | 'services';

export interface Section {
  id: SectionId;
  label: string;
}

export const SECTIONS: readonly Section[] = [
  { id: 'payments', label: 'Payments' },
  { id: 'telephone', label: 'Telephone payment' },
  { id: 'disputes', label: 'Disputes' },
  { id: 'agreements', label: 'Agreements' },
  { id: 'activity', label: 'Activity' },
  { id: 'services', label: 'Services' },
];

export function sectionFromHash(hash: string): SectionId {
  const id = hash.replace(/^#\/?/, '').split('/')[0];
  return SECTIONS.find((s) => s.id === id)?.id ?? 'services';
}

class Router {
  current = $state<SectionId>(sectionFromHash(globalThis.location?.hash ?? ''));

  constructor() {
    globalThis.addEventListener?.('hashchange', () => {
      this.current = sectionFromHash(location.hash);
    });
  }

  go(id: SectionId) {
    if (globalThis.location) location.hash = `#/${id}`;
    this.current = id;
  }
}

export const router = new Router();
