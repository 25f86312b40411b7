import type { BrowserContext, CDPSession, Page } from 'playwright-core';

/** Everything a browser context received over the network, for "no secret ever reached the page" checks. */
export interface ReceivedLog {
  /** `url`, status, headers and body (text) of every response, in arrival order. */
  readonly responses: Array<{ url: string; status: number; headers: Record<string, string>; body: string }>;
  /** Every request the page sent: URL, method, headers and body (when it had one). */
  readonly requests: Array<{ url: string; method: string; headers: Record<string, string>; body: string | null }>;
  /** Waits until every response body seen so far has been read. */
  settle(): Promise<void>;
}

/** Records every request and response (body included) of a context. */
export function recordTraffic(context: BrowserContext): ReceivedLog {
  const pending: Array<Promise<void>> = [];
  const log: ReceivedLog = {
    responses: [],
    requests: [],
    settle: async () => {
      while (pending.length > 0) await Promise.all(pending.splice(0));
    },
  };
  context.on('request', (req) => {
    log.requests.push({ url: req.url(), method: req.method(), headers: req.headers(), body: req.postData() });
  });
  context.on('response', (res) => {
    pending.push(
      (async () => {
        const headers = await res.allHeaders().catch(() => ({}));
        // Redirects and aborted loads have no body to read.
        const body = await res.text().catch(() => '');
        log.responses.push({ url: res.url(), status: res.status(), headers, body });
      })(),
    );
  });
  return log;
}

/**
 * A heap snapshot of the page's JavaScript (V8, through the DevTools protocol) as one
 * string: every string the page's heap holds is in it, so a token the page kept anywhere
 * (a closure, a cache, a detached DOM node) would be found by a substring search.
 */
export async function heapSnapshot(context: BrowserContext, page: Page): Promise<string> {
  const cdp: CDPSession = await context.newCDPSession(page);
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => void chunks.push(chunk));
  // Collect first: strings that are garbage are not the page's, and would only be noise.
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('');
}

/** What the page's scripts can read of storage: cookies, Web Storage and IndexedDB. */
export interface PageStorage {
  cookie: string;
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  indexedDbNames: string[];
}

export async function readPageStorage(page: Page): Promise<PageStorage> {
  // A string, not a function: the test's TypeScript has no DOM types.
  return page.evaluate(`(async () => {
    const dump = (s) => Object.fromEntries(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    const dbs = await indexedDB.databases();
    return {
      cookie: document.cookie,
      localStorage: dump(localStorage),
      sessionStorage: dump(sessionStorage),
      indexedDbNames: dbs.map((d) => d.name),
    };
  })()`);
}
