import type { ApprovalItem } from '../bindings/ApprovalItem';
import type { ApprovalRulesInput } from '../bindings/ApprovalRulesInput';
import type { ApprovalSettings } from '../bindings/ApprovalSettings';
import type { RefundDone } from '../bindings/RefundDone';
import type { RefundRequestView } from '../bindings/RefundRequestView';
import { call } from './ipc';

export const approvalSettings = (serviceId: string): Promise<ApprovalSettings> =>
  call('approval_settings', { serviceId });

/** The rules as typed: empty text for a rule not set. */
export const approvalRulesSet = (serviceId: string, rules: ApprovalRulesInput): Promise<ApprovalSettings> =>
  call('approval_rules_set', { serviceId, rules });

export const approvalsWaiting = (serviceId: string): Promise<ApprovalItem[]> => call('approvals_waiting', { serviceId });

export const refundRequestsMine = (serviceId: string): Promise<RefundRequestView[]> =>
  call('refund_requests_mine', { serviceId });

export const refundRequestApprove = (requestId: number): Promise<RefundDone> =>
  call('refund_request_approve', { requestId });

export const refundRequestReject = (requestId: number, note: string): Promise<RefundRequestView> =>
  call('refund_request_reject', { requestId, note });
