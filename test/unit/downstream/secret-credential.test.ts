import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { apiKeyCredential, bearerSecretCredential } from '../../../src/downstream/secret-credential.js';
import type { SecretSource } from '../../../src/secrets/index.js';
import { recordingLogger } from '../../support/fault-server.js';

const logger = pino({ level: 'silent' });

/**
 * A secret a test rotates by hand. `stage()` puts a value where the next `refresh()`
 * finds it (a replaced file the watcher has not reported); `rotate()` is the watcher
 * reporting it. `waitForChange` resolves when `rotate()` lands, like the file source.
 */
function rotatingSecret(initial: string) {
  let value = initial;
  let staged: string | undefined;
  const waiters = new Set<() => void>();
  const source: Required<Omit<SecretSource, 'previous' | 'lastConfirmedAt'>> & { rotate(v: string): void; stage(v: string): void; refreshes: number; waits: number[] } = {
    description: 'test',
    refreshes: 0,
    waits: [],
    current: () => value,
    refresh: async () => {
      source.refreshes++;
      if (staged === undefined) return false;
      source.rotate(staged);
      return true;
    },
    waitForChange: (since, timeoutMs) => {
      source.waits.push(timeoutMs);
      if (value !== since) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close: () => {},
    rotate: (v: string) => {
      value = v;
      staged = undefined;
      for (const wake of [...waiters]) wake();
    },
    stage: (v: string) => {
      staged = v;
    },
  };
  return source;
}

const opts = { service: 'payments' as const, logger };
const bearer = (v: string) => ({ authorization: `Bearer ${v}` });

/** What the service does with each value: it takes exactly one at a time. */
function service(accepts: string) {
  const state = { accepts };
  return {
    state,
    /**
     * One call as ServiceHttp makes it: send; on a 401 renew and resend, at most twice,
     * the second time only with different headers. `between` runs after each renewal,
     * before the resend (the service may switch right then).
     */
    async call(
      credential: ReturnType<typeof bearerSecretCredential>,
      maxWaitMs = 1000,
      between: () => void = () => {},
    ): Promise<{ ok: boolean; sent: string[] }> {
      const sent: string[] = [];
      let headers = await credential.headers();
      sent.push(headers.authorization!);
      for (let renewals = 0; headers.authorization !== `Bearer ${state.accepts}`; renewals++) {
        if (renewals === 2 || !(await credential.renew(headers, { maxWaitMs }))) return { ok: false, sent };
        const renewed = await credential.headers();
        if (renewals > 0 && renewed.authorization === headers.authorization) return { ok: false, sent };
        between();
        headers = renewed;
        sent.push(headers.authorization!);
      }
      credential.accepted?.(headers);
      return { ok: true, sent };
    },
  };
}

/** A payments credential over a rotating secret, after one call the service accepted with `sk_1`. */
async function acceptedOnce(extra: Partial<Parameters<typeof bearerSecretCredential>[1]> = {}) {
  const secret = rotatingSecret('sk_1');
  const credential = bearerSecretCredential(secret, { ...opts, ...extra });
  const svc = service('sk_1');
  expect((await svc.call(credential)).ok).toBe(true);
  return { secret, credential, svc };
}

describe('apiKeyCredential', () => {
  it('sends the current key in x-api-key, or the header given (lower-cased)', async () => {
    expect(await apiKeyCredential(rotatingSecret('k1'), opts).headers()).toEqual({ 'x-api-key': 'k1' });
    expect(await apiKeyCredential(rotatingSecret('k1'), { ...opts, header: 'X-Key' }).headers()).toEqual({ 'x-key': 'k1' });
  });

  it('without the refused headers, renews by re-reading the secret', async () => {
    const secret = rotatingSecret('old');
    const credential = apiKeyCredential(secret, opts);
    expect(await credential.renew()).toBe(false);
    secret.stage('new');
    expect(await credential.renew()).toBe(true);
    expect(await credential.headers()).toEqual({ 'x-api-key': 'new' });
    expect(secret.refreshes).toBe(2);
  });
});

describe('bearerSecretCredential', () => {
  it('sends the current secret as a bearer token', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, opts);
    expect(await credential.headers()).toEqual(bearer('sk_1'));
    secret.rotate('sk_2');
    expect(await credential.headers()).toEqual(bearer('sk_2'));
  });
});

describe('rotation, the service first', () => {
  it('re-reads after a 401 and retries with a replacement the watcher had not reported', async () => {
    const { secret, credential, svc } = await acceptedOnce();
    svc.state.accepts = 'sk_2';
    secret.stage('sk_2');
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_1', 'Bearer sk_2'] });
    expect(secret.waits).toEqual([]);
  });

  it('waits for the new value to land, then retries once with it', async () => {
    const { secret, credential, svc } = await acceptedOnce();
    svc.state.accepts = 'sk_2';
    const calls = Array.from({ length: 5 }, () => svc.call(credential));
    // The file lands once every call is waiting for it (by count, not after a pause).
    while (secret.waits.length < 5) await new Promise((r) => setTimeout(r, 1));
    secret.rotate('sk_2');
    for (const result of await Promise.all(calls)) expect(result).toEqual({ ok: true, sent: ['Bearer sk_1', 'Bearer sk_2'] });
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_2'] });
  });

  it('waits no longer than rotationWaitMs nor the time the call has left', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, { ...opts, rotationWaitMs: 40 });
    expect(await credential.renew(bearer('sk_1'), { maxWaitMs: 1000 })).toBe(false);
    const otherSecret = rotatingSecret('sk_1');
    const other = bearerSecretCredential(otherSecret, { ...opts, rotationWaitMs: 1000 });
    expect(await other.renew(bearer('sk_1'), { maxWaitMs: 30 })).toBe(false);
    // The waits asked for, rather than a stopwatch: the shorter of the two limits each time.
    expect(secret.waits).toEqual([40]);
    expect(otherSecret.waits).toEqual([30]);
  });

  it('does not wait at all without time left or with rotationWaitMs 0', async () => {
    const secret = rotatingSecret('sk_1');
    expect(await bearerSecretCredential(secret, opts).renew(bearer('sk_1'))).toBe(false);
    expect(await bearerSecretCredential(secret, { ...opts, rotationWaitMs: 0 }).renew(bearer('sk_1'), { maxWaitMs: 500 })).toBe(false);
    expect(secret.waits).toEqual([]);
  });

  it('waits once for a value that is simply wrong, then lets later calls fail at once', async () => {
    const secret = rotatingSecret('wrong');
    const credential = bearerSecretCredential(secret, { ...opts, rotationWaitMs: 30 });
    expect(await credential.renew(bearer('wrong'), { maxWaitMs: 1000 })).toBe(false);
    expect(await credential.renew(bearer('wrong'), { maxWaitMs: 1000 })).toBe(false);
    expect(secret.waits).toEqual([30]);
    // A new value is worth waiting for again.
    secret.rotate('also-wrong');
    expect(await credential.renew(bearer('also-wrong'), { maxWaitMs: 1000 })).toBe(false);
    expect(secret.waits).toEqual([30, 30]);
  });

  it('a wait cut short by the deadline does not count as proof of a wrong value', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, { ...opts, rotationWaitMs: 1000 });
    expect(await credential.renew(bearer('sk_1'), { maxWaitMs: 10 })).toBe(false);
    expect(await credential.renew(bearer('sk_1'), { maxWaitMs: 10 })).toBe(false);
    expect(secret.waits).toEqual([10, 10]);
  });
});

describe('rotation, the file first', () => {
  it('falls back to the value the service accepted, warns once, and returns to the new one when the service switches', async () => {
    const logs = recordingLogger();
    const { secret, credential, svc } = await acceptedOnce({ logger: logs.logger });
    secret.rotate('sk_2');
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_2', 'Bearer sk_1'] });
    // Later calls send the value the service takes first.
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_1'] });
    svc.state.accepts = 'sk_2';
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_1', 'Bearer sk_2'] });
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_2'] });
    const warnings = logs.lines.filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ downstream: 'payments' });
    expect(logs.text()).not.toContain('sk_1');
    expect(logs.text()).not.toContain('sk_2');
    expect(secret.waits).toEqual([]);
  });

  it('gets through when the service switches between the fallback and the retry', async () => {
    const { secret, credential, svc } = await acceptedOnce();
    secret.rotate('sk_2');
    const result = await svc.call(credential, 1000, () => (svc.state.accepts = 'sk_2'));
    expect(result).toEqual({ ok: true, sent: ['Bearer sk_2', 'Bearer sk_1', 'Bearer sk_2'] });
    expect(await svc.call(credential)).toEqual({ ok: true, sent: ['Bearer sk_2'] });
  });

  it('resends the same value after a late 401, sent before the service took that value', async () => {
    let now = 1000;
    const { secret, credential, svc } = await acceptedOnce({ now: () => now });
    secret.rotate('sk_2');
    const early = await credential.headers();
    // Meanwhile the service switched, and another call saw it take sk_2.
    now = 2000;
    svc.state.accepts = 'sk_2';
    credential.accepted!(bearer('sk_2'));
    now = 2500;
    expect(await credential.renew(early, { sentAt: 1000 })).toBe(true);
    expect(await credential.headers()).toEqual(bearer('sk_2'));
    // A 401 for sk_2 sent after the service took it is news: the service switched again.
    expect(await credential.renew(bearer('sk_2'), { sentAt: 2600 })).toBe(false);
  });

  it('lets every call refused with the new value fall back, however many run at once', async () => {
    const { secret, credential, svc } = await acceptedOnce();
    secret.rotate('sk_2');
    const results = await Promise.all(Array.from({ length: 10 }, () => svc.call(credential)));
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('lets calls still holding the old value retry with the new one once the service switched', async () => {
    const { secret, credential, svc } = await acceptedOnce();
    secret.rotate('sk_2');
    await svc.call(credential);
    svc.state.accepts = 'sk_2';
    // Several calls that all sent the old value get their 401 together.
    const sent = await Promise.all(Array.from({ length: 3 }, () => credential.headers()));
    const renewed = await Promise.all(sent.map((h) => credential.renew(h, { maxWaitMs: 1000 })));
    expect(renewed).toEqual([true, true, true]);
    expect(await credential.headers()).toEqual(bearer('sk_2'));
  });

  it('trusts the file once previousGraceMs have passed since the change', async () => {
    let now = 0;
    const { secret, credential, svc } = await acceptedOnce({ previousGraceMs: 1000, now: () => now });
    secret.rotate('sk_2');
    expect((await svc.call(credential)).ok).toBe(true);
    now = 999;
    expect(await credential.headers()).toEqual(bearer('sk_1'));
    now = 1000;
    expect(await credential.headers()).toEqual(bearer('sk_2'));
    expect(await credential.renew(bearer('sk_2'))).toBe(false);
  });

  it('never falls back to a value the service has not accepted, nor after it accepted the new one', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, opts);
    // Nothing accepted yet: nothing to fall back to.
    secret.rotate('sk_2');
    expect(await credential.renew(bearer('sk_2'))).toBe(false);
    // sk_2 accepted, then sk_3 refused by a service that moved on to sk_4: no going back to sk_2.
    credential.accepted!(bearer('sk_2'));
    secret.rotate('sk_3');
    credential.accepted!(bearer('sk_3'));
    expect(await credential.renew(bearer('sk_3'))).toBe(false);
  });

  it('ignores a late acceptance of a value that is no longer current', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, opts);
    credential.accepted!(bearer('sk_1'));
    secret.rotate('sk_2');
    credential.accepted!(bearer('sk_2'));
    credential.accepted!(bearer('sk_1'));
    // sk_2 stays the value the service takes: no fallback to sk_1 on a 401.
    expect(await credential.renew(bearer('sk_2'))).toBe(false);
  });
});

describe('a stale 401', () => {
  it('retries at once when the refused value is no longer the current one', async () => {
    const secret = rotatingSecret('sk_1');
    const credential = bearerSecretCredential(secret, opts);
    const sent = await credential.headers();
    secret.rotate('sk_2');
    expect(await credential.renew(sent)).toBe(true);
    expect(secret.refreshes).toBe(0);
  });
});
