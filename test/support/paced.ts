/**
 * Steady load for rotation tests: `send` is started at a fixed rate for a fixed time
 * (a bounded loop that stops by itself), without waiting for earlier calls, and `events`
 * run at set moments in between (switch a key, replace a file). Only ever pointed at
 * loopback servers the test started.
 */

export interface PacedEvent {
  /** Milliseconds after the start. */
  readonly atMs: number;
  readonly run: () => void | Promise<void>;
}

export interface PacedOptions<T> {
  readonly ratePerSecond: number;
  readonly durationMs: number;
  /** Starts call number `i` (from 0). */
  readonly send: (i: number) => Promise<T>;
  readonly events?: readonly PacedEvent[];
}

export interface PacedCall<T> {
  readonly i: number;
  /** Milliseconds after the start when the call was sent. */
  readonly sentAtMs: number;
  readonly tookMs: number;
  readonly outcome: PromiseSettledResult<T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPaced<T>(opts: PacedOptions<T>): Promise<Array<PacedCall<T>>> {
  const total = Math.floor((opts.ratePerSecond * opts.durationMs) / 1000);
  const interval = 1000 / opts.ratePerSecond;
  const events = [...(opts.events ?? [])].sort((a, b) => a.atMs - b.atMs);
  const started = Date.now();
  const calls: Array<Promise<PacedCall<T>>> = [];
  const runDue = async (elapsed: number) => {
    while (events.length > 0 && events[0]!.atMs <= elapsed) await events.shift()!.run();
  };
  for (let i = 0; i < total; i++) {
    const due = i * interval;
    const wait = started + due - Date.now();
    if (wait > 0) await sleep(wait);
    await runDue(Date.now() - started);
    const sentAtMs = Date.now() - started;
    calls.push(
      opts.send(i).then(
        (value) => ({ i, sentAtMs, tookMs: Date.now() - started - sentAtMs, outcome: { status: 'fulfilled', value } as const }),
        (reason: unknown) => ({ i, sentAtMs, tookMs: Date.now() - started - sentAtMs, outcome: { status: 'rejected', reason } as const }),
      ),
    );
  }
  // Events planned after the last call still run, so a test's setup always completes.
  await runDue(Number.POSITIVE_INFINITY);
  return Promise.all(calls);
}
