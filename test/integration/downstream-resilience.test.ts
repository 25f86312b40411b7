import { describe, expect, it } from '@jest/globals';
import type { DownstreamError } from '../../src/downstream/errors.js';
import type { ResilienceOptions } from '../../src/downstream/http/resilience.js';
import { ServiceHttp, type ServiceHttpOptions } from '../../src/downstream/http/service-http.js';
import { failure, recordingLogger, reply, useFaultServer } from '../support/fault-server.js';

/**
 * Retry, circuit breaker and bulkhead of the HTTP core, counted on the server's side:
 * how many requests actually arrived. Backoffs are a few milliseconds so the suite stays
 * fast; Retry-After dates are made short with an injected clock.
 *
 * Nothing here depends on the machine's speed: timers never fire early, so lower bounds
 * on time hold; upper bounds are what the bug they guard against would cost at the least
 * (a retry that should not happen, a wait that should not be made), seconds away from
 * what a loaded machine adds; and every time setting leaves seconds between outcomes.
 */

const faults = useFaultServer();
let logs: ReturnType<typeof recordingLogger>;

/**
 * How long an open circuit stays open here: the checks made while it is open are one or
 * two direct loopback calls (milliseconds, tens at worst on a loaded machine), which only
 * a hang could outlast. (cockatiel's breaker reads the real clock: the tests sleep past it.)
 */
const HALF_OPEN_AFTER_MS = 1000;

const FAST: ResilienceOptions = { initialBackoffMs: 1, maxBackoffMs: 5, halfOpenAfterMs: HALF_OPEN_AFTER_MS, breakAfterFailures: 50 };

async function client(resilience: ResilienceOptions = {}, over: Partial<ServiceHttpOptions> = {}): Promise<ServiceHttp> {
  logs = recordingLogger();
  const http = new ServiceHttp({
    service: 'reviews',
    baseUrl: faults.server.url,
    // Only a real hang reaches this, unless a test says otherwise.
    timeoutMs: 30_000,
    logger: logs.logger,
    resilience: { ...FAST, ...resilience },
    ...over,
  });
  faults.track(http);
  return http;
}

const get = (http: ServiceHttp, extra: Partial<Parameters<ServiceHttp['request']>[0]> = {}) =>
  http.request({ method: 'GET', path: '/r', ...extra });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('retries', () => {
  it('retries a GET after 5xx until it succeeds', async () => {
    faults.server.on('GET', '/r', reply.sequence(reply.status(503), reply.status(500), reply.json({ ok: true })));
    await expect(get(await client())).resolves.toEqual({ ok: true });
    expect(faults.server.requests).toHaveLength(3);
  });

  it('gives up after maxRetries and returns the last error', async () => {
    faults.server.on('GET', '/r', reply.status(502));
    const err = await failure(get(await client({ maxRetries: 2 })));
    expect(faults.server.requests).toHaveLength(3);
    expect(err.details).toMatchObject({ status: 502, retryable: true });
  });

  it('does not retry when maxRetries is 0', async () => {
    faults.server.on('GET', '/r', reply.status(502));
    await failure(get(await client({ maxRetries: 0 })));
    expect(faults.server.requests).toHaveLength(1);
  });

  it.each([
    ['a timeout', reply.hang()],
    ['a reset', reply.reset()],
    ['invalid JSON', reply.invalidJson()],
    ['a wrong content type', reply.text('<html/>')],
    ['408', reply.status(408)],
    ['429', reply.status(429)],
  ])('retries a GET after %s', async (_what, first) => {
    faults.server.on('GET', '/r', reply.sequence(first, reply.json({ ok: true })));
    // A timed-out attempt is only retried when an attempt may take less than the call.
    // One second per attempt: the answer that follows fits in it on the slowest machine.
    await expect(get(await client({}, { timeoutMs: 10_000, attemptTimeoutMs: 1000 }))).resolves.toEqual({ ok: true });
    expect(faults.server.requests).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 422])('never retries a %i', async (status) => {
    faults.server.on('GET', '/r', reply.error(status, 'NO', 'no'));
    await failure(get(await client()));
    expect(faults.server.requests).toHaveLength(1);
  });

  it('never retries a POST without an Idempotency-Key', async () => {
    faults.server.on('POST', '/r', reply.sequence(reply.status(503), reply.json({})));
    await failure((await client()).request({ method: 'POST', path: '/r', json: {} }));
    faults.server.on('POST', '/r', reply.sequence(reply.reset(), reply.json({})));
    await failure((await client()).request({ method: 'POST', path: '/r', json: {} }));
    expect(faults.server.requests).toHaveLength(2);
  });

  it('retries a POST with an Idempotency-Key, sending the same key and body', async () => {
    faults.server.on('POST', '/r', reply.sequence(reply.reset(), reply.status(503), reply.json({ id: 'o1' }, 201)));
    const http = await client();
    await expect(http.request({ method: 'POST', path: '/r', json: { a: 1 }, idempotencyKey: 'key-1' })).resolves.toEqual({ id: 'o1' });
    expect(faults.server.requests.map((r) => [r.headers['idempotency-key'], r.body])).toEqual([
      ['key-1', '{"a":1}'],
      ['key-1', '{"a":1}'],
      ['key-1', '{"a":1}'],
    ]);
  });
});

describe('Retry-After', () => {
  it('waits at least as long as Retry-After asks', async () => {
    // HTTP dates have whole seconds; the injected clock puts "now" 150 ms before one.
    const at = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    faults.server.on('GET', '/r', reply.sequence(reply.status(503, { 'retry-after': new Date(at).toUTCString() }), reply.json({})));
    await get(await client({}, { now: () => at - 150 }));
    const [first, second] = faults.server.requests;
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(140);
  });

  it('does not retry when Retry-After is longer than maxRetryAfterMs', async () => {
    faults.server.on('GET', '/r', reply.status(503, { 'retry-after': '5' }));
    const started = Date.now();
    const err = await failure(get(await client({ maxRetryAfterMs: 2000 })));
    expect(faults.server.requests).toHaveLength(1);
    expect(err.details.retryAfterMs).toBe(5000);
    // Honouring the Retry-After, or even maxRetryAfterMs, would take 2 s at the least.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('deadline and cancellation', () => {
  it('does not retry when the wait would not fit in the deadline', async () => {
    faults.server.on('GET', '/r', reply.status(503, { 'retry-after': '1' }));
    const started = Date.now();
    await failure(get(await client(), { deadline: Date.now() + 300 }));
    expect(faults.server.requests).toHaveLength(1);
    // Waiting for the Retry-After would take 1 s at the least.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('bounds all attempts together by the deadline', async () => {
    faults.server.on('GET', '/r', reply.hang());
    const started = Date.now();
    const err = await failure(get(await client({ maxRetries: 10 }, { timeoutMs: 300 }), { deadline: Date.now() + 600 }));
    const took = Date.now() - started;
    expect(err.failure).toBe('unavailable');
    // Eleven attempts of 300 ms would take 3.3 s at the least.
    expect(took).toBeLessThan(11 * 300);
    expect(faults.server.requests.length).toBeLessThanOrEqual(3);
  });

  it('does not retry once the caller has aborted', async () => {
    const controller = new AbortController();
    faults.server.on('GET', '/r', (req, res, n) => {
      controller.abort();
      return reply.status(503)(req, res, n);
    });
    await failure(get(await client(), { signal: controller.signal }));
    expect(faults.server.requests).toHaveLength(1);
  });
});

describe('timeoutMs bounds the whole call', () => {
  it('a hung service costs at most timeoutMs: a timed-out attempt is not retried', async () => {
    faults.server.on('GET', '/r', reply.hang());
    const started = Date.now();
    const err = await failure(get(await client({ maxRetries: 3 }, { timeoutMs: 500 })));
    const took = Date.now() - started;
    expect([err.failure, err.details.retryable]).toEqual(['unavailable', true]);
    expect(took).toBeGreaterThanOrEqual(490);
    // Retrying the timed-out attempt (four attempts of 500 ms) would take 2 s at the least.
    expect(took).toBeLessThan(4 * 500);
    expect(faults.server.requests).toHaveLength(1);
  });

  it('retries stop when the call’s time is used up', async () => {
    // Attempts of at least 400 ms in 1.5 s: at most four fit, and a second one fits
    // unless the first ends a second late.
    faults.server.on('GET', '/r', reply.slow(400, reply.status(503)));
    const started = Date.now();
    await failure(get(await client({ maxRetries: 10 }, { timeoutMs: 1500 })));
    // Eleven attempts of 400 ms would take 4.4 s at the least.
    expect(Date.now() - started).toBeLessThan(11 * 400);
    expect(faults.server.requests.length).toBeGreaterThanOrEqual(2);
    expect(faults.server.requests.length).toBeLessThanOrEqual(4);
  });

  it('an attemptTimeoutMs above timeoutMs changes nothing', async () => {
    faults.server.on('GET', '/r', reply.hang());
    const started = Date.now();
    await failure(get(await client({}, { timeoutMs: 150, attemptTimeoutMs: 5000 })));
    // An attempt allowed its 5 s would take them.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, and closes after a good probe', async () => {
    faults.server.on('GET', '/r', reply.status(500));
    const http = await client({ maxRetries: 0, breakAfterFailures: 3 });
    for (let i = 0; i < 3; i++) await failure(get(http));
    expect(faults.server.requests).toHaveLength(3);
    expect(http.circuit).toBe('open');

    // Fails fast: nothing is sent (the count, not a stopwatch, shows it).
    const fast = await failure(get(http));
    expect(faults.server.requests).toHaveLength(3);
    expect([fast.failure, fast.details.retryable, fast.details.status]).toEqual(['unavailable', true, undefined]);
    expect(logs.lines.some((l) => l.level === 40 && l.downstream === 'reviews' && String(l.msg).includes('circuit opened'))).toBe(true);

    faults.server.on('GET', '/r', reply.json({ ok: true }));
    await sleep(HALF_OPEN_AFTER_MS + 50);
    await expect(get(http)).resolves.toEqual({ ok: true });
    expect(http.circuit).toBe('closed');
    expect(faults.server.requests).toHaveLength(4);
  });

  it('opens again when the half-open probe fails', async () => {
    faults.server.on('GET', '/r', reply.status(500));
    const http = await client({ maxRetries: 0, breakAfterFailures: 2 });
    await failure(get(http));
    await failure(get(http));
    await sleep(HALF_OPEN_AFTER_MS + 50);
    await failure(get(http)); // the probe
    expect(faults.server.requests).toHaveLength(3);
    expect(http.circuit).toBe('open');
    await failure(get(http));
    expect(faults.server.requests).toHaveLength(3);
  });

  it('ends retries as soon as the circuit opens', async () => {
    faults.server.on('GET', '/r', reply.status(500));
    const http = await client({ maxRetries: 5, breakAfterFailures: 2 });
    const err = await failure(get(http));
    expect(faults.server.requests).toHaveLength(2);
    expect(err.details.retryable).toBe(true);
  });

  it("does not count the user's mistakes or our cancellations as failures", async () => {
    faults.server.on('GET', '/r', reply.error(404, 'NOT_FOUND', 'no'));
    faults.server.on('POST', '/r', reply.error(422, 'INVALID', 'no'));
    const http = await client({ maxRetries: 0, breakAfterFailures: 2 });
    for (let i = 0; i < 5; i++) {
      await failure(get(http));
      await failure(http.request({ method: 'POST', path: '/r', json: {} }));
    }
    await failure(get(http, { signal: AbortSignal.abort() }));
    await failure(get(http, { signal: AbortSignal.abort() }));
    expect(http.circuit).toBe('closed');
    expect(faults.server.requests).toHaveLength(10);
  });

  it("does not retry or count the credential's own failures (the IdP, not the service)", async () => {
    class IdpUnavailable extends Error {}
    let headerCalls = 0;
    const credential = {
      headers: async () => {
        headerCalls++;
        throw new IdpUnavailable('could not refresh');
      },
      renew: async () => false,
    };
    const http = await client({ maxRetries: 3, breakAfterFailures: 1 }, { credential });
    for (let i = 0; i < 3; i++) await expect(get(http)).rejects.toBeInstanceOf(IdpUnavailable);
    expect(headerCalls).toBe(3);
    expect(http.circuit).toBe('closed');
    expect(faults.server.requests).toHaveLength(0);
  });

  it('is per service: one failing service does not open another one’s circuit', async () => {
    faults.server.on('GET', '/r', reply.status(500));
    faults.server.on('GET', '/ok', reply.json({}));
    const failing = await client({ maxRetries: 0, breakAfterFailures: 1 });
    const healthy = await client({ maxRetries: 0, breakAfterFailures: 1 });
    await failure(get(failing));
    expect(failing.circuit).toBe('open');
    await expect(healthy.request({ method: 'GET', path: '/ok' })).resolves.toEqual({});
  });
});

describe('bulkhead', () => {
  it('caps calls in flight and rejects beyond the queue at once', async () => {
    // Answers are held until two calls are in flight and the fourth was turned away, so
    // no call can end early and free a slot, however the calls are scheduled.
    let inFlight = 0;
    let maxInFlight = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    faults.server.on('GET', '/r', async (req, res, n) => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await held;
      inFlight--;
      await reply.json({ n })(req, res, n);
    });
    const http = await client({ maxConcurrent: 2, maxQueued: 1, maxRetries: 0 });
    let turnedAway = 0;
    const calls = [get(http), get(http), get(http), get(http)].map((c) => c.catch((err: unknown) => (turnedAway++, Promise.reject(err))));
    while (faults.server.requests.length < 2 || turnedAway < 1) await sleep(5);
    release();
    const results = await Promise.allSettled(calls);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0]!.reason as DownstreamError).message).toBe('The reviews service is busy');
    expect((rejected[0]!.reason as DownstreamError).details.retryable).toBe(true);
    expect(maxInFlight).toBe(2);
    expect(faults.server.requests).toHaveLength(3);
    expect(http.circuit).toBe('closed');
  });
});
