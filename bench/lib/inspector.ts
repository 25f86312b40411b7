import { WebSocket } from 'undici';

/**
 * The heap of a process started with `--inspect=127.0.0.1:<port>`, read through the
 * DevTools protocol: no change to the program itself. Only the soak uses it.
 */
export interface HeapProbe {
  /** Forces a full garbage collection, then reads the V8 heap: used and total, MB. */
  afterGc(): Promise<{ usedMb: number; totalMb: number }>;
  close(): void;
}

export async function connectHeapProbe(port: number, timeoutMs = 10_000): Promise<HeapProbe> {
  const deadline = Date.now() + timeoutMs;
  let target: string | undefined;
  while (!target) {
    try {
      const list = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
      target = list[0]?.webSocketDebuggerUrl;
    } catch {
      // Not listening yet.
    }
    if (!target) {
      if (Date.now() > deadline) throw new Error(`no inspector on 127.0.0.1:${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const ws = new WebSocket(target);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve(), { once: true });
    ws.addEventListener('error', () => reject(new Error('inspector connection failed')), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  ws.addEventListener('message', (ev) => {
    const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.reject(new Error(msg.error.message));
    else p.resolve(msg.result);
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject(new Error('inspector connection closed'));
    pending.clear();
  });
  const call = (method: string, timeout = 30_000): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method}: no answer within ${timeout} ms`));
      }, timeout);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      ws.send(JSON.stringify({ id, method }));
    });
  return {
    async afterGc() {
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number; totalSize: number };
      return { usedMb: usage.usedSize / 2 ** 20, totalMb: usage.totalSize / 2 ** 20 };
    },
    close: () => ws.close(),
  };
}
