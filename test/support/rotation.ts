import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import type { DemoServiceRequest } from '../../src/demo/index.js';
import { type PacedCall, runPaced, until } from './paced.js';
import { type GraphQLResult, type Stack, startStack } from './stack.js';

/**
 * The rotation scenario of one downstream secret, through the real BFF: a steady stream
 * of GraphQL calls while the demo service is switched to a new key and the secret is
 * replaced where the BFF reads it (a file behind `<X>_FILE`, a secrets manager behind
 * `<X>_AWS_SECRET_ID`), in either order, each event waiting for the one before it to
 * have shown (never for a moment in time, so a loaded machine changes nothing). Not one request may fail,
 * and what the service received proves that the rotation happened.
 */
export interface RotationScenario {
  readonly service: 'catalog' | 'payments';
  /** The secret setting. */
  readonly setting: 'CATALOG_API_KEY' | 'PAYMENTS_SECRET_KEY';
  /** Where the secret lives and how it is replaced there (`fileHome`, `awsSecretHome`). */
  readonly home: SecretHomeKind;
  /** Three keys, used in turn. */
  readonly keys: readonly [string, string, string];
  /** Sign in as alice first (the query needs a session). */
  readonly signIn: boolean;
  readonly query: string;
  /** Asserts one GraphQL answer is complete and right. */
  readonly expectAnswer: (result: GraphQLResult) => void;
  /** The key a recorded request carried. */
  readonly keyOf: (request: DemoServiceRequest) => string | undefined;
}

/** One secret where the BFF reads it, for the length of a suite. */
export interface SecretHome {
  /** The settings that point the BFF at it. */
  readonly env: Readonly<Record<string, string>>;
  /** Puts a new value there, as an operator or a rotation would. */
  replace(value: string): Promise<void>;
  close(): Promise<void>;
}

/** A kind of place a secret lives. */
export interface SecretHomeKind {
  /** How a suite's title names it (`CATALOG_API_KEY_FILE`). */
  label(setting: string): string;
  open(setting: string, first: string): Promise<SecretHome>;
}

/**
 * A secret file behind `<X>_FILE`, replaced by `rename` (write aside, then rename:
 * Kubernetes, editors) or `in-place` (truncate and write: a careless script).
 */
export function fileHome(write: 'rename' | 'in-place'): SecretHomeKind {
  return {
    label: (setting) => `${setting}_FILE`,
    async open(setting, first) {
      const dir = mkdtempSync(join(tmpdir(), 'bff-rotation-'));
      const file = join(dir, 'secret');
      writeFileSync(file, `${first}\n`);
      return {
        env: { [`${setting}_FILE`]: file },
        async replace(value) {
          if (write === 'in-place') {
            writeFileSync(file, value);
          } else {
            writeFileSync(`${file}.tmp`, value);
            renameSync(`${file}.tmp`, file);
          }
        },
        async close() {
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** Calls in flight at once during the rotation: a steady stream, paced by count (see paced.ts). */
const CONCURRENCY = 4;
/** Calls before the first event, and how many fallback calls the service sees before it switches. */
const CALLS_BEFORE = 20;
const FALLBACK_CALLS = 10;
/** Calls after the last event: the steady state, of which the last 10 are checked. */
const CALLS_AFTER = 30;

/**
 * Timeouts only a hang reaches, so a loaded machine cannot turn a slow call into a
 * failed one: the assertion that no call fails stays exact. A call refused with the old
 * key waits for the file (SECRET_ROTATION_WAIT_MS) within its own time
 * (DOWNSTREAM_TIMEOUT_MS) and the request's (GRAPHQL_REQUEST_BUDGET_MS).
 */
const PATIENT_ENV = { DOWNSTREAM_TIMEOUT_MS: '60000', SECRET_ROTATION_WAIT_MS: '30000', GRAPHQL_REQUEST_BUDGET_MS: '60000' };

export function describeRotation(s: RotationScenario): void {
  const [key1, key2, key3] = s.keys;
  let home: SecretHome | undefined;
  let serviceKey = key1;
  let stack: Stack;
  let jar: CookieJar | undefined;

  const replaceSecret = (value: string) => home!.replace(value);
  const received = () => stack.recorder.forService(s.service);
  const count = (requests: DemoServiceRequest[], key: string) => requests.filter((r) => s.keyOf(r) === key).length;

  /**
   * Runs the load while `script` moves the keys; returns the calls, what the service
   * received during the load, and how many requests it had seen at each `mark()`.
   */
  async function rotate(script: (load: { sent: () => number; mark: () => number }) => Promise<void>) {
    const start = received().length;
    const marks: number[] = [];
    const calls = await runPaced({
      concurrency: CONCURRENCY,
      callsAfter: CALLS_AFTER,
      send: () => stack.graphql(s.query, { jar }),
      script: ({ sent }) => script({ sent, mark: () => marks[marks.push(received().length) - 1]! }),
    });
    return { calls, during: received().slice(start), marks: marks as [number, number] };
  }

  function expectNoneFailed(calls: Array<PacedCall<GraphQLResult>>, during: DemoServiceRequest[]) {
    expect(calls.length).toBeGreaterThanOrEqual(CALLS_BEFORE + CALLS_AFTER);
    const failed = calls.filter((c) => c.outcome.status === 'rejected' || c.outcome.value.body.errors !== undefined);
    expect(failed.map((c) => (c.outcome.status === 'fulfilled' ? c.outcome.value.text : String(c.outcome.reason)))).toEqual([]);
    for (const c of calls) s.expectAnswer((c.outcome as PromiseFulfilledResult<GraphQLResult>).value);
    // What a slow call used to prove (SLOWEST_MS): no call kept retrying. A call makes one
    // request and, when the key is refused, one retry; whatever the machine's speed.
    expect(during.length).toBeGreaterThanOrEqual(calls.length);
    expect(during.length).toBeLessThanOrEqual(2 * calls.length);
  }

  describe(`rotating the ${s.service} secret (${s.home.label(s.setting)}) under load`, () => {
    beforeAll(async () => {
      home = await s.home.open(s.setting, key1);
      stack = await startStack({
        // Every call reaches the service (no shared cache), so every call proves something.
        env: { ...home.env, DOWNSTREAM_CACHE_MAX_ENTRIES: '0', ...PATIENT_ENV },
        [s.service === 'catalog' ? 'catalogApiKey' : 'paymentsSecretKey']: () => serviceKey,
      });
      if (s.signIn) jar = await stack.login('alice');
      // Warm up: the service has accepted key1 before the rotation starts.
      s.expectAnswer(await stack.graphql(s.query, { jar }));
    });
    afterAll(async () => {
      await stack?.close();
      await home?.close();
    });

    it('loses no request when the service switches first and the secret follows', async () => {
      const { calls, during, marks } = await rotate(async ({ sent, mark }) => {
        await until(() => sent() >= CALLS_BEFORE, `${CALLS_BEFORE} calls sent`);
        const switched = mark();
        serviceKey = key2;
        // The secret follows once the service has refused the old key: those calls wait for it.
        await until(() => count(received().slice(switched), key1) > 0, 'the service refusing the old key');
        mark();
        await replaceSecret(key2);
      });
      expectNoneFailed(calls, during);
      const afterSwitch = received().slice(marks[0]);
      // Refused: key1 after the service switched. Then the new key, every call through.
      expect(count(afterSwitch, key1)).toBeGreaterThan(0);
      expect(count(afterSwitch, key2)).toBeGreaterThan(count(afterSwitch, key1));
      expect(received().slice(-10).map(s.keyOf)).toEqual(Array(10).fill(key2));
    });

    it('loses no request when the secret is replaced first and the service follows', async () => {
      const { calls, during, marks } = await rotate(async ({ sent, mark }) => {
        await until(() => sent() >= CALLS_BEFORE, `${CALLS_BEFORE} calls sent`);
        const replaced = mark();
        await replaceSecret(key3);
        // The service switches once the BFF has sent the new key (refused) and some calls
        // have gone through with the previous one since.
        await until(() => count(received().slice(replaced), key3) > 0, 'the BFF sending the new key');
        const fallbackFrom = received().length;
        await until(() => count(received().slice(fallbackFrom), key2) >= FALLBACK_CALLS, `${FALLBACK_CALLS} calls with the previous key`);
        mark();
        serviceKey = key3;
      });
      expectNoneFailed(calls, during);
      const between = received().slice(marks[0], marks[1]);
      // The new key was refused while the service still wanted key2, and calls fell back to key2.
      expect(count(between, key3)).toBeGreaterThan(0);
      expect(count(between, key2)).toBeGreaterThan(count(between, key3));
      const afterSwitch = received().slice(marks[1]);
      expect(count(afterSwitch, key3)).toBeGreaterThan(0);
      expect(received().slice(-10).map(s.keyOf)).toEqual(Array(10).fill(key3));
      const warnings = stack.logLines.filter((l) => l.includes('refused the new secret'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, downstream: s.service });
    });

    it('never wrote a key to a log line or a response', () => {
      expect(stack.leaks()).toEqual([]);
      for (const key of s.keys) expect(stack.logLines.join('\n')).not.toContain(key);
    });
  });
}
