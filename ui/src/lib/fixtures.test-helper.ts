// For vitest only: a service as the core describes it, for each role.
import type { Permission } from '../bindings/Permission';
import type { Role } from '../bindings/Role';
import type { ServiceView } from '../bindings/ServiceView';

// What each role may do, as paydesk-core's `roles.rs` grants it.
const GRANTS: Record<Role, { label: string; permissions: Permission[] }> = {
  caseworker: {
    label: 'Caseworker',
    permissions: ['view_payments', 'refund', 'cancel_or_capture_payment'],
  },
  call_centre: {
    label: 'Call-centre agent',
    permissions: ['view_payments', 'take_telephone_payment'],
  },
  supervisor: {
    label: 'Supervisor',
    permissions: [
      'view_payments',
      'refund',
      'take_telephone_payment',
      'cancel_or_capture_payment',
      'manage_agreements',
      'review_disputes',
      'view_activity',
      'export_payments',
      'approve_refunds',
    ],
  },
};

/** A TEST-account service with a key, held in `role`; `overrides` replace any field. */
export function testService(role: Role, overrides: Partial<ServiceView> = {}): ServiceView {
  return {
    id: 's1',
    name: 'Parking permits',
    baseUrl: 'https://publicapi.payments.service.gov.uk',
    environment: 'test',
    role,
    permissions: GRANTS[role].permissions,
    roleLabel: GRANTS[role].label,
    hasKey: true,
    sandbox: false,
    ...overrides,
  };
}
