import type { CaseList } from '../bindings/CaseList';
import type { CasePage } from '../bindings/CasePage';
import type { CaseView } from '../bindings/CaseView';
import { call } from './ipc';

export const caseAddPayment = (serviceId: string, caseReference: string, paymentId: string): Promise<CaseView> =>
  call('case_add_payment', { serviceId, caseReference, paymentId });

export const caseAddNote = (caseId: string, body: string): Promise<CaseView> =>
  call('case_add_note', { caseId, body });

/** The Cases screen: newest activity first; `reference` narrows it when not blank. */
export const caseList = (serviceId: string, reference: string): Promise<CaseList> =>
  call('case_list', { serviceId, reference });

/** A case with its payments and what staff did with them. */
export const casePage = (caseId: string): Promise<CasePage> => call('case_page', { caseId });
