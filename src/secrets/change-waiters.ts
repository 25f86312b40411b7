/**
 * Callers waiting for a secret to change (`SecretSource.waitForChange`), shared by the
 * sources: each wait ends true as soon as `notify` reports another value, false after its
 * timeout or at `close`. While anyone waits, `poll` runs every `pollMs` (watching can
 * miss an event, a manager is only polled now and then); nothing runs while nobody waits.
 */
export interface ChangeWaiters {
  wait(current: string, since: string, timeoutMs: number): Promise<boolean>;
  /** The source took `value`: wakes every waiter whose `since` differs. */
  notify(value: string): void;
  /** Ends every wait (false) and refuses new ones. */
  close(): void;
}

interface Waiter {
  readonly since: string;
  readonly done: (changed: boolean) => void;
}

export function changeWaiters(o: { readonly pollMs: number; readonly poll: () => void }): ChangeWaiters {
  const waiters = new Set<Waiter>();
  let poller: NodeJS.Timeout | undefined;
  let closed = false;
  const stopPolling = () => {
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
  };
  return {
    wait(current, since, timeoutMs) {
      if (current !== since) return Promise.resolve(true);
      if (!(timeoutMs > 0) || closed) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const waiter: Waiter = {
          since,
          done: (changed) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            if (waiters.size === 0) stopPolling();
            resolve(changed);
          },
        };
        const timer = setTimeout(() => waiter.done(false), timeoutMs);
        waiters.add(waiter);
        if (poller === undefined) {
          poller = setInterval(o.poll, o.pollMs);
          poller.unref();
        }
      });
    },
    notify(value) {
      for (const w of [...waiters]) if (w.since !== value) w.done(true);
    },
    close() {
      closed = true;
      for (const w of [...waiters]) w.done(false);
      stopPolling();
    },
  };
}
