import { describe, expect, it } from 'vitest';
import { SECTIONS, backHref, restFromHash, sectionFromHash } from './router.svelte';

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
