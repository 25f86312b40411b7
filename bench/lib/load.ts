import autocannon from 'autocannon';
import { cpuMs, rssMb } from './processes.js';

/** One kind of request a scenario sends; `body` may be rebuilt per request (unique variables). */
export interface RequestSpec {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: () => string;
}

export interface LoadOptions {
  /** `http://127.0.0.1:<port>` of the process under test. */
  readonly url: string;
  /** The process under test, for CPU time and RSS from /proc. */
  readonly pid: number;
  /** The stand-ins' `/counts`, for downstream calls per request. */
  readonly countsUrl: string;
  readonly connections: number;
  readonly durationS: number;
  /** Requests each connection sends in turn. */
  readonly requests: readonly RequestSpec[];
  /** Caps the total rate (requests per second), for the soak. Default: as fast as it goes. */
  readonly overallRate?: number;
  /** Called once a minute with the minute's figures (the soak). */
  readonly onMinute?: (m: MinuteReport) => void;
}

export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMsPerRequest: number;
  /**
   * Share of one core the process used during the load (CPU time / wall time), %. Near
   * 100: the process under test was the bottleneck; well below: something else was (the
   * other core's load generator and stand-ins, or a busy machine).
   */
  readonly coreBusyPct: number;
  /** Highest RSS seen while the load ran, MB. */
  readonly rssPeakMb: number;
  /**
   * Downstream calls per request, by service and in total: from `PROBE_REQUESTS` requests
   * sent one after another once the load is over, so that calls of requests still in
   * flight when autocannon stops do not blur it.
   */
  readonly callsPerRequest: number;
  readonly calls: Record<string, number>;
  /** Connection errors and timeouts, non-2xx answers, and 2xx answers with GraphQL `errors`. */
  readonly errors: number;
  readonly non2xx: number;
  readonly graphqlErrors: number;
}

export interface MinuteReport {
  readonly minute: number;
  readonly requests: number;
  readonly rps: number;
  readonly p99: number;
  readonly errors: number;
  readonly rssMb: number;
}

type Counts = Record<string, number>;

async function counts(url: string): Promise<Counts> {
  const res = await fetch(url);
  return (await res.json()) as Counts;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs one load and measures the process under test; bounded by `durationS`. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  let graphqlErrors = 0;
  let non2xx = 0;
  let responses = 0;
  let minuteLatencies: number[] = [];
  let minuteResponses = 0;
  let minuteErrors = 0;
  const latencies: number[] = [];

  const cpuBefore = cpuMs(opts.pid);
  let rssPeak = rssMb(opts.pid);
  const started = Date.now();

  let settle!: { resolve: (r: autocannon.Result) => void; reject: (e: Error) => void };
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const instance = autocannon({
    url: opts.url,
    connections: opts.connections,
    duration: opts.durationS,
    ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
    timeout: 10,
    requests: opts.requests.map((r) => ({
      method: r.method,
      path: r.path,
      headers: r.headers,
      ...(r.body ? { body: r.body() } : {}),
      ...(r.body ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: r.body!() }) } : {}),
      onResponse: (status: number, body: string) => {
        // A GraphQL answer may be 200 with `errors` (a partial failure): not a success here.
        if (status >= 200 && status < 300 && body.includes('"errors"')) graphqlErrors += 1;
      },
    })),
  }, (err, result) => (err ? settle.reject(err as Error) : settle.resolve(result)));
  instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
    responses += 1;
    minuteResponses += 1;
    latencies.push(responseTime);
    if (opts.onMinute) minuteLatencies.push(responseTime);
    if (status < 200 || status >= 300) {
      non2xx += 1;
      minuteErrors += 1;
    }
  });
  instance.on('reqError', () => {
    minuteErrors += 1;
  });

  const sampler = setInterval(() => {
    try {
      rssPeak = Math.max(rssPeak, rssMb(opts.pid));
    } catch {
      // The process is gone: the result will say so through its errors.
    }
  }, 250);
  let minute = 0;
  const minuteTimer = opts.onMinute
    ? setInterval(() => {
        minute += 1;
        const sorted = minuteLatencies.sort((a, b) => a - b);
        let rss = NaN;
        try {
          rss = rssMb(opts.pid);
        } catch {
          // Reported as NaN.
        }
        opts.onMinute!({ minute, requests: minuteResponses, rps: minuteResponses / 60, p99: percentile(sorted, 99), errors: minuteErrors, rssMb: rss });
        minuteLatencies = [];
        minuteResponses = 0;
        minuteErrors = 0;
      }, 60_000)
    : undefined;

  let result: autocannon.Result;
  try {
    result = await done;
  } finally {
    clearInterval(sampler);
    if (minuteTimer) clearInterval(minuteTimer);
  }
  const elapsedS = result.duration > 0 ? result.duration : (Date.now() - started) / 1000;
  const cpu = cpuMs(opts.pid) - cpuBefore;
  rssPeak = Math.max(rssPeak, rssMb(opts.pid));
  const { calls, total: callsPerRequest } = await measureCalls(opts);
  const sorted = latencies.sort((a, b) => a - b);
  return {
    requests: responses,
    rps: responses / elapsedS,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    cpuMsPerRequest: cpu / Math.max(1, responses),
    coreBusyPct: (100 * cpu) / (elapsedS * 1000),
    callsPerRequest,
    calls,
    rssPeakMb: rssPeak,
    errors: result.errors + result.timeouts + non2xx + graphqlErrors,
    non2xx,
    graphqlErrors,
  };
}

const PROBE_REQUESTS = 20;

/**
 * Waits until the stand-ins' counts have not moved for 600 ms (requests that were in
 * flight when the load stopped have made their calls), bounded by 6 s.
 */
async function settled(url: string): Promise<Counts> {
  let last = await counts(url);
  let still = 0;
  for (let i = 0; i < 40 && still < 4; i++) {
    await new Promise((r) => setTimeout(r, 150));
    const now = await counts(url);
    still = JSON.stringify(now) === JSON.stringify(last) ? still + 1 : 0;
    last = now;
  }
  return last;
}

async function measureCalls(opts: LoadOptions): Promise<{ calls: Counts; total: number }> {
  const before = await settled(opts.countsUrl);
  for (let i = 0; i < PROBE_REQUESTS; i++) {
    const r = opts.requests[i % opts.requests.length]!;
    const res = await fetch(`${opts.url}${r.path}`, { method: r.method, headers: r.headers, ...(r.body ? { body: r.body() } : {}) });
    await res.arrayBuffer();
  }
  const after = await counts(opts.countsUrl);
  const calls: Counts = {};
  let total = 0;
  for (const [service, n] of Object.entries(after)) {
    calls[service] = (n - (before[service] ?? 0)) / PROBE_REQUESTS;
    total += n - (before[service] ?? 0);
  }
  return { calls, total: total / PROBE_REQUESTS };
}
