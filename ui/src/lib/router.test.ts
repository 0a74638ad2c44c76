import { describe, expect, it } from 'vitest';
import { SECTIONS, sectionFromHash } from './router.svelte';

describe('sectionFromHash', () => {
  it('reads each section from its hash', () => {
    for (const s of SECTIONS) expect(sectionFromHash(`#/${s.id}`)).toBe(s.id);
  });
  it('falls back to Services for an empty or unknown hash', () => {
    expect(sectionFromHash('')).toBe('services');
    expect(sectionFromHash('#/nonsense')).toBe('services');
  });
});
