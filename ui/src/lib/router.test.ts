import { describe, expect, it } from 'vitest';
import { SECTIONS, backHref, restFromHash, sectionFromHash, walked } from './router.svelte';

describe('sectionFromHash', () => {
  it('reads each section from its hash', () => {
    for (const s of SECTIONS) expect(sectionFromHash(`#/${s.id}`)).toBe(s.id);
  });
  it('falls back to Services for an empty or unknown hash', () => {
    expect(sectionFromHash('')).toBe('services');
    expect(sectionFromHash('#/nonsense')).toBe('services');
  });
});

describe('restFromHash', () => {
  it('gives what follows the section, decoded', () => {
    expect(restFromHash('#/payments/abc%2Fd')).toEqual(['abc/d']);
    expect(restFromHash('#/payments')).toEqual([]);
  });
});

describe('backHref', () => {
  it('goes back to the list a page was opened from, else to the fallback', () => {
    expect(backHref('#/disputes', '#/payments/p1', '#/payments')).toBe('#/disputes');
    expect(backHref(null, '#/payments/p1', '#/payments')).toBe('#/payments');
    expect(backHref('#/payments/p1', '#/payments/p1', '#/payments')).toBe('#/payments');
    expect(backHref('#', '#/payments/p1', '#/payments')).toBe('#/payments');
  });
});

describe('walked', () => {
  it('steps on, and takes the last address off when the one before it comes back', () => {
    let trail: string[] = ['#/payments'];
    for (const hash of ['#/cases', '#/cases/c1', '#/payments/p1']) trail = walked(trail, hash);
    expect(trail).toEqual(['#/payments', '#/cases', '#/cases/c1', '#/payments/p1']);
    // Back from the payment to its case, then from the case to the list: never
    // from the case to the payment again.
    trail = walked(trail, '#/cases/c1');
    expect(trail.at(-2)).toBe('#/cases');
    trail = walked(trail, '#/cases');
    expect(trail).toEqual(['#/payments', '#/cases']);
    // The same address again is no step; the trail keeps its last 50.
    expect(walked(trail, '#/cases')).toEqual(trail);
    for (let i = 0; i < 60; i++) trail = walked(trail, `#/payments/p${i}`);
    expect(trail.length).toBe(50);
    expect(trail.at(-1)).toBe('#/payments/p59');
  });
});
