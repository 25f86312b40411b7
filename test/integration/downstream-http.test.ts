import { describe, expect, it } from '@jest/globals';
import type { Credential } from '../../src/downstream/credential.js';
import { DownstreamError } from '../../src/downstream/errors.js';
import { ServiceHttp, type ServiceHttpOptions } from '../../src/downstream/http/service-http.js';
import { FaultServer, LATE_TIMER_MS, failure, recordingLogger, reply, useFaultServer } from '../support/fault-server.js';

/**
 * The HTTP core against a real server on loopback: what it sends, how every outcome maps
 * to a DownstreamError, and that timeouts are bounded. Retry, breaker and bulkhead are
 * off here (see downstream-resilience.test.ts) so each case makes exactly the calls it
 * shows.
 */

const SECRET = 'sk_live_must_never_leak_0123456789';
/** Something only a response body contains: it must never reach an error. */
const BODY_MARKER = 'body-marker-client_secret-xyz';

const faults = useFaultServer();
let logs: ReturnType<typeof recordingLogger>;

/** A credential that records its use and can be told what renew() finds. */
function testCredential(values: string[] = [SECRET]) {
  let i = 0;
  const calls = { headers: 0, renew: 0 };
  const credential: Credential = {
    headers: async () => {
      calls.headers++;
      return { authorization: `Bearer ${values[i]}` };
    },
    renew: async () => {
      calls.renew++;
      if (i + 1 >= values.length) return false;
      i++;
      return true;
    },
  };
  return { credential, calls };
}

async function client(over: Partial<ServiceHttpOptions> = {}): Promise<ServiceHttp> {
  logs = recordingLogger();
  const http = new ServiceHttp({
    service: 'catalog',
    baseUrl: faults.server.url,
    // Only a real hang reaches this, unless a test says otherwise.
    timeoutMs: 30_000,
    logger: logs.logger,
    resilience: false,
    ...over,
  });
  faults.track(http);
  return http;
}

/** Nothing a server said or was sent may appear in an error. */
function expectClean(err: DownstreamError) {
  expect(err).toBeInstanceOf(DownstreamError);
  const text = `${err.message} ${JSON.stringify(err)} ${JSON.stringify(err.details.status)}`;
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain(BODY_MARKER);
  expect(text).not.toContain(faults.server.url);
  expect(text).not.toContain('127.0.0.1');
}

describe('what is sent', () => {
  it('sends the credential, accept, the request id and the path below a base path prefix', async () => {
    faults.server.on('GET', '/api/v2/things', reply.json({ ok: true }));
    const { credential } = testCredential();
    const http = await client({ baseUrl: `${faults.server.url}/api/v2/`, credential });
    await expect(http.request({ method: 'GET', path: '/things?x=1', requestId: 'req-42' })).resolves.toEqual({ ok: true });
    const [req] = faults.server.requests;
    expect(req!.url).toBe('/api/v2/things?x=1');
    expect(req!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(req!.headers.accept).toBe('application/json');
    expect(req!.headers['x-request-id']).toBe('req-42');
    expect(req!.headers.cookie).toBeUndefined();
  });

  it('sends JSON and form bodies with their content types, and the Idempotency-Key', async () => {
    faults.server.on('POST', '/j', reply.json({}, 201));
    faults.server.on('POST', '/f', reply.json({}));
    const http = await client();
    await http.request({ method: 'POST', path: '/j', json: { lines: [{ productId: 'p1', quantity: 2 }] }, idempotencyKey: 'k-1' });
    await http.request({ method: 'POST', path: '/f', form: 'amount=1&currency=eur' });
    const [j, f] = faults.server.requests;
    expect(j!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(j!.body)).toEqual({ lines: [{ productId: 'p1', quantity: 2 }] });
    expect(j!.headers['idempotency-key']).toBe('k-1');
    expect(f!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(f!.body).toBe('amount=1&currency=eur');
    expect(f!.headers['idempotency-key']).toBeUndefined();
  });

  it('reuses keep-alive connections instead of opening one per call', async () => {
    faults.server.on('GET', '/k', reply.json({}));
    const http = await client();
    for (let i = 0; i < 20; i++) await http.request({ method: 'GET', path: '/k' });
    // undici may open a second socket while the first one finishes its previous answer.
    expect(new Set(faults.server.requests.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });

  it('refuses base URLs carrying credentials, a query or another scheme', () => {
    const logger = { warn() {}, info() {}, debug() {} } as never;
    for (const baseUrl of ['http://user:pw@localhost/', 'http://localhost/?key=1', 'ftp://localhost/', 'not a url']) {
      expect(() => new ServiceHttp({ service: 'catalog', baseUrl, timeoutMs: 100, logger })).toThrow(TypeError);
    }
  });
});

describe('answers', () => {
  it('resolves 204 to undefined', async () => {
    faults.server.on('GET', '/empty', reply.status(204));
    const http = await client();
    await expect(http.request({ method: 'GET', path: '/empty' })).resolves.toBeUndefined();
  });

  it('accepts +json content types', async () => {
    faults.server.on('GET', '/problem', reply.text('{"a":1}', 'application/vnd.shop+json; charset=utf-8'));
    const http = await client();
    await expect(http.request({ method: 'GET', path: '/problem' })).resolves.toEqual({ a: 1 });
  });

  it('maps 404 to not_found', async () => {
    faults.server.on('GET', '/p', reply.error(404, 'NOT_FOUND', BODY_MARKER));
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect([err.failure, err.details.status]).toEqual(['not_found', 404]);
    expectClean(err);
  });

  it.each([400, 422])('maps %i to bad_input with the downstream message and field', async (status) => {
    faults.server.on('POST', '/orders', reply.error(status, 'INVALID', 'quantity must be at least 1', { field: 'quantity' }));
    const err = await failure((await client()).request({ method: 'POST', path: '/orders', json: {} }));
    expect(err.failure).toBe('bad_input');
    expect(err.message).toBe('quantity must be at least 1');
    expect(err.details).toMatchObject({ status, field: 'quantity' });
  });

  it.each([500, 502, 503, 504])('maps %i to retryable unavailable without the body', async (status) => {
    faults.server.on('GET', '/p', reply.error(status, 'OOPS', BODY_MARKER));
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect(err.failure).toBe('unavailable');
    expect(err.details).toMatchObject({ status, retryable: true });
    expectClean(err);
  });

  it('maps a 404 from a collection endpoint to unavailable (a missing endpoint), with a warning', async () => {
    faults.server.on('GET', '/list', reply.error(404, 'NOT_FOUND', BODY_MARKER));
    const err = await failure((await client()).request({ method: 'GET', path: '/list?ids=a', collection: true }));
    expect([err.failure, err.details.status, err.details.retryable]).toEqual(['unavailable', 404, false]);
    expect(logs.lines).toContainEqual(expect.objectContaining({ level: 40, downstream: 'catalog', path: '/list' }));
    expectClean(err);
  });

  it('passes a 503 Retry-After on as retryAfterMs', async () => {
    faults.server.on('GET', '/p', reply.status(503, { 'retry-after': '2' }));
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect(err.details.retryAfterMs).toBe(2000);
  });

  it('maps invalid JSON to retryable unavailable, quoting none of the body', async () => {
    faults.server.on('GET', '/p', reply.text(`{"client_secret": "${BODY_MARKER}", `, 'application/json'));
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect(err.details).toMatchObject({ status: 200, retryable: true });
    expectClean(err);
    expect(String((err.cause as Error).message)).not.toContain(BODY_MARKER);
  });

  it('maps a wrong content type to retryable unavailable', async () => {
    faults.server.on('GET', '/p', reply.text(`<html>${BODY_MARKER}</html>`, 'text/html'));
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect(err.details).toMatchObject({ status: 200, retryable: true });
    expectClean(err);
  });

  it('never follows a redirect (it could carry the credential elsewhere)', async () => {
    const elsewhere = await FaultServer.start();
    try {
      elsewhere.on('GET', '/steal', reply.json({ stolen: true }));
      faults.server.on('GET', '/p', reply.status(302, { location: `${elsewhere.url}/steal` }));
      const { credential } = testCredential();
      const err = await failure((await client({ credential })).request({ method: 'GET', path: '/p' }));
      expect(err.details).toMatchObject({ status: 302, retryable: false });
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it('refuses a body above maxResponseBytes', async () => {
    faults.server.on('GET', '/big', reply.json({ items: 'x'.repeat(5000) }));
    const err = await failure((await client({ maxResponseBytes: 1000 })).request({ method: 'GET', path: '/big' }));
    expect(err.details.retryable).toBe(false);
  });
});

describe('401 and 403', () => {
  it('renews the credential once after a 401 and retries with the new value', async () => {
    let valid = 'second';
    faults.server.on('GET', '/p', reply.requireHeader('authorization', () => `Bearer ${valid}`, reply.json({ ok: 1 })));
    const { credential, calls } = testCredential(['first', 'second']);
    await expect((await client({ credential })).request({ method: 'GET', path: '/p' })).resolves.toEqual({ ok: 1 });
    expect(faults.server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer first', 'Bearer second']);
    expect(calls.renew).toBe(1);
    valid = 'unused';
  });

  it('gives up after a second 401, warns naming the service, and never logs the credential', async () => {
    faults.server.on('GET', '/p', reply.requireHeader('authorization', () => 'Bearer never', reply.json({})));
    const { credential, calls } = testCredential([SECRET, `${SECRET}-2`]);
    const err = await failure((await client({ credential })).request({ method: 'GET', path: '/p?secret-free=1' }));
    expect(faults.server.requests).toHaveLength(2);
    // Asked again after the second 401, the credential has nothing new: the 401 stands.
    expect(calls.renew).toBe(2);
    expect([err.failure, err.details.status, err.details.retryable]).toEqual(['unavailable', 401, false]);
    expectClean(err);
    const warning = logs.lines.find((l) => l.level === 40);
    expect(warning).toMatchObject({ downstream: 'catalog', status: 401, path: '/p' });
    expect(logs.text()).not.toContain(SECRET);
  });

  it('renews a second time only for different headers', async () => {
    faults.server.on('GET', '/p', reply.status(401));
    const credential: Credential = { headers: async () => ({ authorization: `Bearer ${SECRET}` }), renew: async () => true };
    const err = await failure((await client({ credential })).request({ method: 'GET', path: '/p' }));
    expect(faults.server.requests).toHaveLength(2);
    expect(err.details.status).toBe(401);
  });

  it('renews at most twice in one attempt', async () => {
    faults.server.on('GET', '/p', reply.status(401));
    let n = 0;
    const credential: Credential = { headers: async () => ({ authorization: `Bearer ${SECRET}-${n}` }), renew: async () => (n++, true) };
    await failure((await client({ credential })).request({ method: 'GET', path: '/p' }));
    expect(faults.server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${SECRET}-0`, `Bearer ${SECRET}-1`, `Bearer ${SECRET}-2`]);
  });

  it('does not retry a 401 when renew finds nothing new', async () => {
    faults.server.on('GET', '/p', reply.status(401));
    const { credential, calls } = testCredential([SECRET]);
    const err = await failure((await client({ credential })).request({ method: 'GET', path: '/p' }));
    expect(faults.server.requests).toHaveLength(1);
    expect(calls.renew).toBe(1);
    expect(err.details.status).toBe(401);
  });

  it("lets a throwing renew's own error through unchanged (e.g. the grant was revoked)", async () => {
    faults.server.on('GET', '/p', reply.status(401));
    class SignInAgain extends Error {}
    const credential: Credential = {
      headers: async () => ({ authorization: `Bearer ${SECRET}` }),
      renew: async () => {
        throw new SignInAgain('the session ended');
      },
    };
    await expect((await client({ credential })).request({ method: 'GET', path: '/p' })).rejects.toBeInstanceOf(SignInAgain);
    expect(faults.server.requests).toHaveLength(1);
    expect(logs.text()).not.toContain(SECRET);
  });

  it('maps 403 to unavailable without renewing, and warns', async () => {
    faults.server.on('GET', '/p', reply.error(403, 'FORBIDDEN', BODY_MARKER));
    const { credential, calls } = testCredential();
    const err = await failure((await client({ credential })).request({ method: 'GET', path: '/p' }));
    expect([err.failure, err.details.status]).toEqual(['unavailable', 403]);
    expect(calls.renew).toBe(0);
    expect(logs.lines.some((l) => l.level === 40 && l.downstream === 'catalog')).toBe(true);
  });

  it("lets the credential's own error through unchanged (e.g. the session ended)", async () => {
    class SessionEnded extends Error {}
    const credential: Credential = {
      headers: async () => {
        throw new SessionEnded('sign in again');
      },
      renew: async () => false,
    };
    await expect((await client({ credential })).request({ method: 'GET', path: '/p' })).rejects.toBeInstanceOf(SessionEnded);
    expect(faults.server.requests).toHaveLength(0);
  });
});

describe('what the credential is told', () => {
  /** A credential that records what ServiceHttp tells it; renew() moves to `renewTo` when given. */
  function spyCredential(renewTo?: string) {
    let value = 'v1';
    const seen = { refused: [] as Array<Readonly<Record<string, string>> | undefined>, waits: [] as number[], accepted: [] as string[] };
    const credential: Credential = {
      headers: async () => ({ authorization: `Bearer ${value}` }),
      renew: async (refused, opts) => {
        seen.refused.push(refused);
        seen.waits.push(opts?.maxWaitMs ?? -1);
        if (renewTo === undefined) return false;
        value = renewTo;
        return true;
      },
      accepted: (sent) => void seen.accepted.push(sent.authorization!),
    };
    return { credential, seen };
  }

  it('renew() gets the refused headers and at most three quarters of the attempt to wait', async () => {
    faults.server.on('GET', '/p', reply.requireHeader('authorization', () => 'Bearer v2', reply.json({ ok: true })));
    const { credential, seen } = spyCredential('v2');
    await expect((await client({ timeoutMs: 400, credential })).request({ method: 'GET', path: '/p' })).resolves.toEqual({ ok: true });
    expect(seen.refused).toEqual([{ authorization: 'Bearer v1' }]);
    expect(seen.waits[0]).toBeGreaterThan(200);
    expect(seen.waits[0]).toBeLessThanOrEqual(300);
    expect(seen.accepted).toEqual(['Bearer v2']);
  });

  it.each([
    [200, true],
    [404, true],
    [422, true],
    [401, false],
    [403, false],
    [500, false],
    [503, false],
  ])('after a %i, accepted() is %s', async (status, accepted) => {
    faults.server.on('GET', '/p', status === 200 ? reply.json({}) : reply.error(status, 'X', 'x'));
    const { credential, seen } = spyCredential();
    await (await client({ credential }))
      .request({ method: 'GET', path: '/p' })
      .catch(() => undefined);
    expect(seen.accepted).toEqual(accepted ? ['Bearer v1'] : []);
  });
});

describe('transport failures and time limits', () => {
  it('bounds a hanging service by timeoutMs', async () => {
    faults.server.on('GET', '/p', reply.hang());
    const started = Date.now();
    const err = await failure((await client({ timeoutMs: 150 })).request({ method: 'GET', path: '/p' }));
    const took = Date.now() - started;
    expect(err.message).toBe('The catalog service did not answer in time');
    expect(err.details.retryable).toBe(true);
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(150 + LATE_TIMER_MS);
  });

  it('bounds a body that never finishes', async () => {
    faults.server.on('GET', '/p', reply.stall());
    const started = Date.now();
    const err = await failure((await client({ timeoutMs: 150 })).request({ method: 'GET', path: '/p' }));
    expect(err.details.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(150 + LATE_TIMER_MS);
  });

  it('bounds headers and body together by one timer', async () => {
    // Headers after 200 ms, body after 800 more: each below 500 ms, together far above
    // it (the body's timer is set after the call's timer is due, so it cannot win).
    faults.server.on('GET', '/p', async (_req, res) => {
      await new Promise((r) => setTimeout(r, 200));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      await new Promise((r) => setTimeout(r, 800));
      if (!res.destroyed) res.end('1}');
    });
    const err = await failure((await client({ timeoutMs: 500 })).request({ method: 'GET', path: '/p' }));
    expect(err.message).toBe('The catalog service did not answer in time');
  });

  it('uses the shorter of timeoutMs and the deadline', async () => {
    faults.server.on('GET', '/p', reply.hang());
    const started = Date.now();
    const err = await failure((await client({ timeoutMs: 5000 })).request({ method: 'GET', path: '/p', deadline: Date.now() + 100 }));
    expect(err.failure).toBe('unavailable');
    // The 5 s timeoutMs would end it later, however fast the machine: the deadline did.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('sends nothing once the deadline has passed', async () => {
    const err = await failure((await client()).request({ method: 'GET', path: '/p', deadline: Date.now() - 1 }));
    expect(err.details.retryable).toBe(false);
    expect(faults.server.requests).toHaveLength(0);
  });

  it('stops at once when the caller aborts', async () => {
    faults.server.on('GET', '/p', reply.hang());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    const err = await failure((await client({ timeoutMs: 5000 })).request({ method: 'GET', path: '/p', signal: controller.signal }));
    expect(err.message).toBe('The call to the catalog service was cancelled');
    expect(err.details.retryable).toBe(false);
    // The 5 s timeoutMs would end it later, however fast the machine: the abort did.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('maps a reset connection to retryable unavailable', async () => {
    faults.server.on('GET', '/p', reply.reset());
    const err = await failure((await client()).request({ method: 'GET', path: '/p' }));
    expect([err.failure, err.details.retryable]).toEqual(['unavailable', true]);
    expectClean(err);
  });

  it('maps a refused connection to retryable unavailable', async () => {
    const gone = await FaultServer.start();
    const url = gone.url;
    await gone.close();
    const err = await failure((await client({ baseUrl: url })).request({ method: 'GET', path: '/p' }));
    expect([err.failure, err.details.retryable]).toEqual(['unavailable', true]);
    expect(err.message).not.toContain(url);
  });
});
