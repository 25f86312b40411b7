import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import type { DemoServiceRequest } from '../../src/demo/index.js';
import { type PacedCall, runPaced } from './paced.js';
import { type GraphQLResult, type Stack, startStack } from './stack.js';

/**
 * The rotation scenario of one downstream secret, through the real BFF: GraphQL at 50
 * requests per second for two seconds while the demo service is switched to a new key
 * and the file behind `<X>_FILE` is replaced, in either order. Not one request may fail,
 * and what the service received proves that the rotation happened.
 */
export interface RotationScenario {
  readonly service: 'catalog' | 'payments';
  /** The `_FILE` setting that points at the secret. */
  readonly fileSetting: 'CATALOG_API_KEY_FILE' | 'PAYMENTS_SECRET_KEY_FILE';
  /** Three keys, used in turn. */
  readonly keys: readonly [string, string, string];
  /** Sign in as alice first (the query needs a session). */
  readonly signIn: boolean;
  readonly query: string;
  /** Asserts one GraphQL answer is complete and right. */
  readonly expectAnswer: (result: GraphQLResult) => void;
  /** The key a recorded request carried. */
  readonly keyOf: (request: DemoServiceRequest) => string | undefined;
  /**
   * How the file is replaced: `rename` (write aside, then rename: Kubernetes, editors)
   * or `in-place` (truncate and write: a careless script).
   */
  readonly write: 'rename' | 'in-place';
}

const RATE = 50;
const DURATION_MS = 2000;
/** No call may take longer than this: a call's timeout (3 s, waits for a rotation included), plus slack for a busy machine. */
const SLOWEST_MS = 4000;

export function describeRotation(s: RotationScenario): void {
  const [key1, key2, key3] = s.keys;
  let dir: string;
  let file: string;
  let serviceKey = key1;
  let stack: Stack;
  let jar: CookieJar | undefined;

  const replaceFile = (value: string) => {
    if (s.write === 'in-place') {
      writeFileSync(file, value);
    } else {
      writeFileSync(`${file}.tmp`, value);
      renameSync(`${file}.tmp`, file);
    }
  };
  const received = () => stack.recorder.forService(s.service);

  /** Runs the load with two events; returns the calls and how many requests the service had seen at each event. */
  async function rotate(first: { atMs: number; run: () => void }, second: { atMs: number; run: () => void }) {
    const marks: number[] = [];
    const mark = (run: () => void) => () => {
      marks.push(received().length);
      run();
    };
    const calls = await runPaced({
      ratePerSecond: RATE,
      durationMs: DURATION_MS,
      send: () => stack.graphql(s.query, { jar }),
      events: [
        { atMs: first.atMs, run: mark(first.run) },
        { atMs: second.atMs, run: mark(second.run) },
      ],
    });
    return { calls, marks: marks as [number, number] };
  }

  function expectNoneFailed(calls: Array<PacedCall<GraphQLResult>>) {
    expect(calls).toHaveLength((RATE * DURATION_MS) / 1000);
    const failed = calls.filter((c) => c.outcome.status === 'rejected' || c.outcome.value.body.errors !== undefined);
    expect(failed.map((c) => (c.outcome.status === 'fulfilled' ? c.outcome.value.text : String(c.outcome.reason)))).toEqual([]);
    for (const c of calls) s.expectAnswer((c.outcome as PromiseFulfilledResult<GraphQLResult>).value);
    expect(Math.max(...calls.map((c) => c.tookMs))).toBeLessThan(SLOWEST_MS);
  }

  const count = (requests: DemoServiceRequest[], key: string) => requests.filter((r) => s.keyOf(r) === key).length;

  describe(`rotating the ${s.service} secret (${s.fileSetting}) under load`, () => {
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bff-rotation-'));
      file = join(dir, 'secret');
      writeFileSync(file, `${key1}\n`);
      stack = await startStack({
        // Every call reaches the service (no shared cache), so every call proves something.
        env: { [s.fileSetting]: file, DOWNSTREAM_CACHE_MAX_ENTRIES: '0' },
        [s.service === 'catalog' ? 'catalogApiKey' : 'paymentsSecretKey']: () => serviceKey,
      });
      if (s.signIn) jar = await stack.login('alice');
      // Warm up: the service has accepted key1 before the rotation starts.
      s.expectAnswer(await stack.graphql(s.query, { jar }));
    });
    afterAll(async () => {
      await stack?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('loses no request when the service switches first and the file follows', async () => {
      const { calls, marks } = await rotate(
        { atMs: 500, run: () => (serviceKey = key2) },
        { atMs: 1000, run: () => replaceFile(key2) },
      );
      expectNoneFailed(calls);
      const afterSwitch = received().slice(marks[0]);
      // Refused: key1 after the service switched. Then the new key, every call through.
      expect(count(afterSwitch, key1)).toBeGreaterThan(0);
      expect(count(afterSwitch, key2)).toBeGreaterThan(count(afterSwitch, key1));
      expect(received().slice(-10).map(s.keyOf)).toEqual(Array(10).fill(key2));
    });

    it('loses no request when the file is replaced first and the service follows', async () => {
      const { calls, marks } = await rotate(
        { atMs: 500, run: () => replaceFile(key3) },
        { atMs: 1400, run: () => (serviceKey = key3) },
      );
      expectNoneFailed(calls);
      const between = received().slice(marks[0], marks[1]);
      // The new key was refused while the service still wanted key2, and calls fell back to key2.
      expect(count(between, key3)).toBeGreaterThan(0);
      expect(count(between, key2)).toBeGreaterThan(count(between, key3));
      const afterSwitch = received().slice(marks[1]);
      expect(count(afterSwitch, key3)).toBeGreaterThan(0);
      expect(received().slice(-10).map(s.keyOf)).toEqual(Array(10).fill(key3));
      const warnings = stack.logLines.filter((l) => l.includes('refused the new secret'));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, service: s.service });
    });

    it('never wrote a key to a log line or a response', () => {
      expect(stack.leaks()).toEqual([]);
      for (const key of s.keys) expect(stack.logLines.join('\n')).not.toContain(key);
    });
  });
}
