import { afterEach, describe, expect, it, vi } from 'vitest';
import { forgetPlaces, keepPlace, placeOf } from './place';

describe('a list’s place', () => {
  afterEach(() => {
    forgetPlaces();
    document.body.innerHTML = '';
    vi.restoreAllMocks();
  });

  it('is kept per list with its filters, and made fresh the first time', () => {
    const a = placeOf('disputes:s1', () => ({ status: '' }));
    a.filters = { status: 'won' };
    expect(placeOf('disputes:s1', () => ({ status: '' })).filters).toEqual({ status: 'won' });
    expect(placeOf('disputes:s2', () => ({ status: '' })).filters).toEqual({ status: '' });
  });

  it('notes the link followed and the scroll, then brings both back once', async () => {
    document.body.innerHTML = '<main><table id="t"><tr><td><a href="#/payments/p1">PK-1</a></td><td><a href="#/payments/p2">PK-2</a></td></tr></table></main>';
    const scrolls: number[] = [];
    vi.spyOn(window, 'scrollTo').mockImplementation(((_x: number, y: number) => {
      scrolls.push(y);
    }) as unknown as typeof window.scrollTo);
    const place = placeOf('activity:s1', () => null);
    const table = document.getElementById('t')!;
    const kept = keepPlace(table, place);
    Object.defineProperty(window, 'scrollY', { value: 640, configurable: true });
    window.dispatchEvent(new Event('scroll'));
    (document.querySelector('a[href="#/payments/p2"]') as HTMLAnchorElement).click();
    kept.destroy();
    expect(place.y).toBe(640);
    expect(place.opened).toBe('#/payments/p2');

    await place.restore();
    expect(document.activeElement?.getAttribute('href')).toBe('#/payments/p2');
    expect(scrolls).toEqual([640]);
    // Once only: a later load of the same list starts at the top.
    await place.restore();
    expect(scrolls).toEqual([640]);
  });
});
