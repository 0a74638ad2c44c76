import type { TeamView } from '../bindings/TeamView';
import { call } from './ipc';

export const teamGet = (): Promise<TeamView> => call('team_get');

export const teamSignIn = (password: string): Promise<TeamView> => call('team_sign_in', { password });
