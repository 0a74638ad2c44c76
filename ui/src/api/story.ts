import type { PaymentDetail } from '../bindings/PaymentDetail';
import { call } from './ipc';

export const paymentDetail = (serviceId: string, paymentId: string): Promise<PaymentDetail> =>
  call('payment_detail', { serviceId, paymentId });
