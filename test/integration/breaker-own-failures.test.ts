import { describe, expect, it } from '@jest/globals';
import { DownstreamCallBudget, DownstreamCallLimitError } from '../../src/downstream/errors.js';
import type { ResilienceOptions } from '../../src/downstream/http/resilience.js';
import { ServiceHttp, type ServiceHttpOptions } from '../../src/downstream/http/service-http.js';
import { failure, recordingLogger, reply, type Reply, useFaultServer } from '../support/fault-server.js';

/**
 * A circuit opens only on the service's own failures. Calls the BFF refuses or cuts
 * short itself (a full bulkhead, the request's deadline, the request's call bound) never
 * count toward opening it, so one greedy request cannot make the service fail for
 * everybody else. Every breaker here opens after ONE counted failure, so a single
 * miscounted refusal shows.
 */

const faults = useFaultServer();

const STRICT: ResilienceOptions = { breakAfterFailures: 1, halfOpenAfterMs: 60_000, initialBackoffMs: 1, maxBackoffMs: 5 };

function client(resilience: ResilienceOptions = {}, over: Partial<ServiceHttpOptions> = {}): ServiceHttp {
  return faults.track(
    new ServiceHttp({
      service: 'catalog',
      baseUrl: faults.server.url,
      // Only a real hang reaches this, unless a test says otherwise.
      timeoutMs: 60_000,
      logger: recordingLogger().logger,
      resilience: { ...STRICT, ...resilience },
      ...over,
    }),
  );
}

/** A reply held until the test releases it. */
function gate(): { reply: Reply; release: () => void } {
  let release!: () => void;
  const opened = new Promise<void>((resolve) => (release = resolve));
  return { reply: (req, res, n) => opened.then(() => reply.json({ held: true })(req, res, n)), release };
}

/** Waits until the fault server has received `n` requests (paced by count, not time). */
async function received(n: number): Promise<void> {
  while (faults.server.requests.length < n) await new Promise((r) => setTimeout(r, 5));
}

describe('the service failing opens the circuit (the contrast)', () => {
  it('its own timeout counts', async () => {
    faults.server.on('GET', '/hang', reply.hang());
    const http = client({ maxRetries: 0 }, { timeoutMs: 100 });
    const err = await failure(http.request({ method: 'GET', path: '/hang', deadline: Date.now() + 60_000 }));
    expect(err.details.retryable).toBe(true);
    expect(http.circuit).toBe('open');
  });
});

describe('refusals of the BFF itself never count', () => {
  it("an attempt cut short by the request's deadline: not retried, not counted", async () => {
    faults.server.on('GET', '/hang', reply.hang());
    faults.server.on('GET', '/ok', reply.json({ ok: true }));
    const http = client({ maxRetries: 2 });
    // A connected socket first: the attempt below is then sent at once, however busy the
    // machine, and only its wait for an answer meets the deadline.
    await expect(http.request({ method: 'GET', path: '/ok' })).resolves.toEqual({ ok: true });
    const err = await failure(http.request({ method: 'GET', path: '/hang', deadline: Date.now() + 300 }));
    expect([err.failure, err.details.retryable, err.details.ownLimit]).toEqual(['unavailable', true, true]);
    expect(err.message).toBe("The catalog service did not answer within the request's time");
    expect(faults.server.requestsTo('GET', '/hang')).toHaveLength(1);
    expect(http.circuit).toBe('closed');
    // The next user's call goes through.
    await expect(http.request({ method: 'GET', path: '/ok' })).resolves.toEqual({ ok: true });
  });

  it('a call rejected by a full bulkhead', async () => {
    const held = gate();
    faults.server.on('GET', '/held', held.reply);
    faults.server.on('GET', '/ok', reply.json({ ok: true }));
    const http = client({ maxConcurrent: 1, maxQueued: 0 });
    const first = http.request({ method: 'GET', path: '/held' });
    await received(1);
    const busy = await failure(http.request({ method: 'GET', path: '/ok' }));
    expect(busy.message).toBe('The catalog service is busy');
    held.release();
    await expect(first).resolves.toEqual({ held: true });
    expect(http.circuit).toBe('closed');
    await expect(http.request({ method: 'GET', path: '/ok' })).resolves.toEqual({ ok: true });
    expect(faults.server.requests).toHaveLength(2);
  });

  it("time spent waiting in the bulkhead's queue is not charged to the service", async () => {
    // The clock jumps past the service's timeout while the second call waits for a slot:
    // its own time starts only when it leaves the queue.
    let offset = 0;
    const held = gate();
    faults.server.on('GET', '/held', held.reply);
    faults.server.on('GET', '/ok', reply.json({ ok: true }));
    const http = client({ maxConcurrent: 1, maxQueued: 1 }, { timeoutMs: 5_000, now: () => Date.now() + offset });
    const first = http.request({ method: 'GET', path: '/held' });
    await received(1);
    const queued = http.request({ method: 'GET', path: '/ok' });
    offset += 10_000;
    held.release();
    await expect(first).resolves.toEqual({ held: true });
    await expect(queued).resolves.toEqual({ ok: true });
    expect(http.circuit).toBe('closed');
  });

  it("calls past the request's call bound: never sent, never counted", async () => {
    faults.server.on('GET', '/ok', reply.json({ ok: true }));
    const http = client();
    const callLimit = new DownstreamCallBudget(2);
    const results = await Promise.allSettled([1, 2, 3, 4].map((i) => http.request({ method: 'GET', path: `/ok?i=${i}`, callLimit })));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const refused = (results[2] as PromiseRejectedResult).reason as DownstreamCallLimitError;
    expect(refused).toBeInstanceOf(DownstreamCallLimitError);
    expect([refused.service, refused.limit]).toEqual(['catalog', 2]);
    expect(faults.server.requests).toHaveLength(2);
    expect(callLimit.used).toBe(2);
    expect(http.circuit).toBe('closed');
    // Another request's budget is its own.
    await expect(http.request({ method: 'GET', path: '/ok', callLimit: new DownstreamCallBudget(1) })).resolves.toEqual({ ok: true });
  });

  it('an answer from the shared cache is not a call', async () => {
    faults.server.on('GET', '/cached', reply.json({ ok: true }, 200, { 'cache-control': 'public, max-age=60' }));
    const http = client({}, { cache: {} });
    const callLimit = new DownstreamCallBudget(1);
    for (let i = 0; i < 3; i++) await expect(http.request({ method: 'GET', path: '/cached', callLimit })).resolves.toEqual({ ok: true });
    expect(faults.server.requests).toHaveLength(1);
    expect(callLimit.used).toBe(1);
  });
});

describe('DownstreamCallBudget', () => {
  it('refuses a bound that is not a positive whole number', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new DownstreamCallBudget(bad)).toThrow(RangeError);
  });
});
