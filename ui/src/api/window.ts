import { call } from './ipc';

/** Zooms the window's page, as a browser's Ctrl and + does: `1` is 100%. */
export const setWindowZoom = (value: number): Promise<void> =>
  call('plugin:webview|set_webview_zoom', { label: 'main', value });
