import { describe, expect, it } from 'vitest';
import { can, offers } from './permissions';
import { testService } from './fixtures.test-helper';

const base = testService('call_centre');

describe('permissions', () => {
  it('asks only the list the core sent, not the role', () => {
    expect(can(base, 'take_telephone_payment')).toBe(true);
    expect(can(base, 'refund')).toBe(false);
    // The same role name with another list: the list decides.
    expect(can({ ...base, permissions: ['view_payments'] }, 'take_telephone_payment')).toBe(false);
    expect(can(null, 'view_payments')).toBe(false);
  });

  it('offers a section only when its permission is there', () => {
    expect(offers(base, 'telephone')).toBe(true);
    expect(offers(base, 'export')).toBe(false);
    expect(offers(base, 'dashboard')).toBe(false);
    expect(offers(base, 'payments')).toBe(true);
    expect(offers(null, 'export')).toBe(true);
  });
});
