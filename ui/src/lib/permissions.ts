// What the service's role allows, as the core says (ServiceView.permissions).
// Nothing here decides who may do what: it only asks the list the core sent.
import type { Permission } from '../bindings/Permission';
import type { ServiceView } from '../bindings/ServiceView';
import type { SectionId } from './router.svelte';

export function can(service: ServiceView | null | undefined, permission: Permission): boolean {
  return service?.permissions.includes(permission) ?? false;
}

/** The permission a section needs before it is offered at all. */
export const SECTION_NEEDS: Partial<Record<SectionId, Permission>> = {
  telephone: 'take_telephone_payment',
  disputes: 'review_disputes',
  approvals: 'refund',
  activity: 'view_activity',
  dashboard: 'view_activity',
  export: 'export_payments',
};

/** Whether a section is offered for this service (every section when none is chosen yet). */
export function offers(service: ServiceView | null | undefined, section: SectionId): boolean {
  const needs = SECTION_NEEDS[section];
  return !needs || !service || can(service, needs);
}
