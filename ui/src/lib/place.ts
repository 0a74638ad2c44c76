// Where a list was left: its filters, how far it was scrolled and the link
// opened from it, so that Back from a payment (or a case) returns to the same
// list at the same place, with what was opened in focus. Kept in memory, per
// list and service, while Paydesk runs.
import { tick } from 'svelte';

export class Place<F> {
  filters: F;
  /** The window's scroll when the list was left. */
  y = 0;
  /** The address of the link followed from the list. */
  opened: string | null = null;

  constructor(filters: F) {
    this.filters = filters;
  }

  /** Brings the window back to where the list was left, once its rows are
   * drawn, and focuses the link that was followed; forgets both after. */
  async restore(): Promise<void> {
    const { y, opened } = this;
    this.y = 0;
    this.opened = null;
    if (y === 0 && opened === null) return;
    await tick();
    if (opened) {
      const link = [...document.querySelectorAll<HTMLAnchorElement>('main a[href]')].find((a) => a.getAttribute('href') === opened);
      link?.focus({ preventScroll: true });
    }
    window.scrollTo(0, y);
  }
}

const places = new Map<string, Place<unknown>>();

/** The place kept for `key` (a list of one service), made with `fresh` filters the first time. */
export function placeOf<F>(key: string, fresh: () => F): Place<F> {
  let place = places.get(key) as Place<F> | undefined;
  if (!place) {
    place = new Place(fresh());
    places.set(key, place);
  }
  return place;
}

/** Forgets every list's place (tests; a new person at the desk). */
export function forgetPlaces(): void {
  places.clear();
}

/** An action for a list's element: notes the link followed from it and, as
 * the window scrolls, how far (kept as it changes: when the list goes, the
 * window may already be scrolled for what replaces it). */
export function keepPlace(node: HTMLElement, place: Place<unknown>) {
  let y = window.scrollY;
  const scrolled = () => (y = window.scrollY);
  const clicked = (e: MouseEvent) => {
    const link = (e.target as HTMLElement | null)?.closest('a[href]');
    if (link) place.opened = link.getAttribute('href');
  };
  window.addEventListener('scroll', scrolled, { passive: true });
  node.addEventListener('click', clicked, true);
  return {
    destroy() {
      window.removeEventListener('scroll', scrolled);
      node.removeEventListener('click', clicked, true);
      place.y = y;
    },
  };
}
