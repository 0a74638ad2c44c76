// The reasons a refund can be given, as the core words them: read once, used
// by the refund form and wherever a refund's reason is shown.
import { refundReasons } from '../api/money';
import type { ReasonChoice } from '../bindings/ReasonChoice';

class Reasons {
  list = $state<ReasonChoice[]>([]);
  #loading: Promise<void> | null = null;

  /** Reads the list, once; a failed read is tried again next time. */
  load(): Promise<void> {
    if (this.list.length > 0) return Promise.resolve();
    this.#loading ??= refundReasons()
      .then((list) => {
        this.list = list;
      })
      .finally(() => {
        this.#loading = null;
      });
    return this.#loading;
  }

  /** A code's words; a code this version does not know is shown as it is. */
  label(code: string | null | undefined): string {
    if (!code) return '';
    return this.list.find((r) => r.code === code)?.label ?? code;
  }

  /** "Overpayment: paid twice", as the timeline and the export say it. */
  words(code: string | null | undefined, note: string | null | undefined): string {
    const label = this.label(code);
    return note ? `${label}: ${note}` : label;
  }
}

export const reasons = new Reasons();
