import type { NewService } from '../bindings/NewService';
import type { ServiceView } from '../bindings/ServiceView';
import { call } from './ipc';

export const servicesList = (): Promise<ServiceView[]> => call('services_list');

export const servicesAdd = (input: NewService): Promise<ServiceView> =>
  call('services_add', { input });

export const servicesRemove = (id: string): Promise<void> => call('services_remove', { id });

export const servicesSetKey = (id: string, apiKey: string): Promise<ServiceView> =>
  call('services_set_key', { id, apiKey });
