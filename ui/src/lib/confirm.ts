// A confirmation question, when it appears, is brought into view whole (below
// the payment page's sticky bar, see `.paydesk-confirm` in app.scss) and takes
// focus, so that a screen reader reads the question. The panel itself is
// focused, never its buttons: Enter must not confirm by accident.

/** Svelte action for a `.paydesk-confirm` panel (give it `tabindex="-1"`). */
export function askHere(panel: HTMLElement) {
  queueMicrotask(() => {
    if (!panel.isConnected) return;
    panel.scrollIntoView?.({ block: 'nearest' });
    panel.focus({ preventScroll: true });
  });
}
