import type { CaseView } from '../bindings/CaseView';
import { call } from './ipc';

export const caseAddPayment = (serviceId: string, caseReference: string, paymentId: string): Promise<CaseView> =>
  call('case_add_payment', { serviceId, caseReference, paymentId });

export const caseAddNote = (caseId: string, body: string): Promise<CaseView> =>
  call('case_add_note', { caseId, body });
