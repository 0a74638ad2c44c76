import type { ActionDone } from '../bindings/ActionDone';
import type { AgreementDetail } from '../bindings/AgreementDetail';
import type { AgreementQuery } from '../bindings/AgreementQuery';
import type { AgreementView } from '../bindings/AgreementView';
import type { NewAgreement } from '../bindings/NewAgreement';
import { call } from './ipc';

export const agreementsList = (serviceId: string, query: AgreementQuery): Promise<AgreementView[]> =>
  call('agreements_list', { serviceId, query });

export const agreementDetail = (serviceId: string, agreementId: string): Promise<AgreementDetail> =>
  call('agreement_detail', { serviceId, agreementId });

export const agreementCancel = (serviceId: string, agreementId: string): Promise<ActionDone> =>
  call('agreement_cancel', { serviceId, agreementId });

export const agreementCreate = (serviceId: string, agreement: NewAgreement): Promise<AgreementView> =>
  call('agreement_create', { serviceId, agreement });
