import type { ServiceName } from '../../src/config/index.js';
import { FaultServer } from './fault-server.js';
import { type Stack, type StackOptions, startStack } from './stack.js';

/**
 * The whole BFF (test/support/stack.ts) with a scriptable fault server standing in for
 * some services (their `<SERVICE>_URL` points at it) and the demo services for the rest:
 * GraphQL in, faults on the wire, and what each fault server received to assert on.
 */
export interface FaultStack<S extends ServiceName> {
  readonly stack: Stack;
  readonly faults: Record<S, FaultServer>;
  /** Forgets every fault server's routes, recordings and in-flight peak. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultStack<S extends ServiceName>(services: readonly S[], opts: StackOptions = {}): Promise<FaultStack<S>> {
  const faults = {} as Record<S, FaultServer>;
  for (const service of services) faults[service] = await FaultServer.start();
  const closeFaults = () => Promise.all(Object.values<FaultServer>(faults).map((f) => f.close()));
  let stack: Stack;
  try {
    const urls = Object.fromEntries(services.map((s) => [`${s.toUpperCase()}_URL`, faults[s].url]));
    stack = await startStack({ ...opts, env: { ...urls, ...opts.env } });
  } catch (err) {
    await closeFaults();
    throw err;
  }
  return {
    stack,
    faults,
    reset: () => {
      for (const f of Object.values<FaultServer>(faults)) f.reset();
    },
    close: async () => {
      try {
        await stack.close();
      } finally {
        await closeFaults();
      }
    },
  };
}
