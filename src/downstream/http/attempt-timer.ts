import type { Interruption } from './outcomes.js';
import { Abort } from './wire.js';

/**
 * One timer for a whole attempt, and the caller's cancellation, behind one abort handle
 * for undici. undici's headers/body timeouts alone would allow twice the limit (and more
 * across the 401 retry). `interruption` then says which of the two ended the attempt;
 * a timeout that fires after a cancellation still counts as the timeout.
 */
export class AttemptTimer {
  readonly signal = new Abort();
  interruption: Interruption;
  readonly #timer: NodeJS.Timeout;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = () => {
    this.interruption ??= 'cancelled';
    this.signal.abort();
  };

  constructor(limitMs: number, caller: AbortSignal | undefined) {
    this.#timer = setTimeout(() => {
      this.interruption = 'timeout';
      this.signal.abort();
    }, limitMs);
    this.#caller = caller;
    if (caller === undefined) return;
    if (caller.aborted) this.#onCallerAbort();
    else caller.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  /** Stops the timer and the listening; call when the attempt is over, however it ended. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}
