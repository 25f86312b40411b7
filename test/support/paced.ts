/**
 * Steady load for rotation tests, paced by count rather than by the clock: `concurrency`
 * calls are kept in flight (a new one starts when one ends) while a `script` runs its
 * events (switch a key, replace a file), each one waiting for something to have
 * happened (so many calls sent, the service having seen a key) instead of for a moment.
 * After the script, `callsAfter` more calls show the steady state. A slow machine makes
 * the run longer, never different. Only ever pointed at loopback servers the test started.
 */

export interface PacedOptions<T> {
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Calls started after the script has finished. */
  readonly callsAfter: number;
  /** Starts call number `i` (from 0). */
  readonly send: (i: number) => Promise<T>;
  /** The events, run while the load goes on; `sent()` is how many calls have started. */
  readonly script: (load: { sent: () => number }) => Promise<void>;
}

export interface PacedCall<T> {
  readonly i: number;
  readonly outcome: PromiseSettledResult<T>;
}

/**
 * How long `until` waits for a condition before failing the test: far beyond what a
 * loaded machine needs (the conditions need a few loopback calls), so only a real hang
 * (a rotation that never lands) reaches it, and it fails with a message, not Jest's timeout.
 */
const UNTIL_LIMIT_MS = 15_000;

/** Resolves once `condition()` holds (checked every few ms); `what` names it when it never does. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  const limit = Date.now() + UNTIL_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > limit) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function runPaced<T>(opts: PacedOptions<T>): Promise<Array<PacedCall<T>>> {
  const calls: Array<PacedCall<T>> = [];
  let sent = 0;
  let after: number | undefined;
  let failed: unknown;
  const script = opts.script({ sent: () => sent }).then(
    () => {
      after = sent;
    },
    (err: unknown) => {
      failed = err;
      after = sent;
    },
  );
  const more = () => after === undefined || sent < after + opts.callsAfter;
  const worker = async () => {
    while (more()) {
      const i = sent++;
      const outcome = await opts.send(i).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
      calls.push({ i, outcome });
    }
  };
  await Promise.all([script, ...Array.from({ length: opts.concurrency }, worker)]);
  if (failed !== undefined) throw failed;
  return calls.sort((a, b) => a.i - b.i);
}
