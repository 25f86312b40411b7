import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type MotoServer, startMotoServer } from '../support/moto-server.js';
import { until } from '../support/paced.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Secrets in AWS Secrets Manager that cannot be used, against moto's real server: at
 * start-up the BFF refuses to start and names the setting and the reason, every problem
 * at once; after start-up an outage of the manager keeps the last good value, says so in
 * a warning (setting, never value), and in /readyz only once the value is older than
 * SECRET_MANAGER_MAX_AGE_MS; and the manager is read on a schedule and on a refusal,
 * never once per request.
 */

const SETTING = 'CATALOG_API_KEY_AWS_SECRET_ID';
/** A value that must never appear in an error or a log line. */
const HIDDEN = 'hidden-field-value-0123456789';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMotoServer();
});
afterAll(() => moto?.stop());

/** Starts a stack whose catalog key comes from the manager; resolves to the start-up error's message. */
async function refusal(env: Record<string, string>): Promise<string> {
  let stack: Stack | undefined;
  try {
    stack = await startStack({ env: { ...moto.env, ...env } });
  } catch (err) {
    return (err as Error).message;
  }
  await stack.close();
  throw new Error('the BFF started');
}

describe('at start-up, a secret that cannot be used stops the BFF, named with its reason', () => {
  it('an unknown secret id', async () => {
    const message = await refusal({ [SETTING]: 'shop-bff/no-such-secret' });
    expect(message).toContain(`${SETTING}: secret shop-bff/no-such-secret does not exist`);
  });

  it('a JSON key that is absent, or a secret that is not a JSON object', async () => {
    await moto.createSecret('shop-bff/json-without-key', JSON.stringify({ other: HIDDEN }));
    await moto.createSecret('shop-bff/not-json', `not json ${HIDDEN}`);
    const absent = await refusal({ [SETTING]: 'shop-bff/json-without-key#apiKey' });
    expect(absent).toMatch(new RegExp(`${SETTING}: secret shop-bff/json-without-key \\(version [\\w-]+\\) has no JSON key "apiKey"`));
    const notJson = await refusal({ [SETTING]: 'shop-bff/not-json#apiKey' });
    expect(notJson).toContain('is not a JSON object, so it has no key "apiKey"');
    for (const m of [absent, notJson]) expect(m).not.toContain(HIDDEN);
  });

  it('an empty value, whole or under its JSON key', async () => {
    await moto.createSecret('shop-bff/blank', '   ');
    await moto.createSecret('shop-bff/blank-field', JSON.stringify({ apiKey: '', other: HIDDEN }));
    expect(await refusal({ [SETTING]: 'shop-bff/blank' })).toMatch(/shop-bff\/blank \(version [\w-]+\) is empty/);
    const field = await refusal({ [SETTING]: 'shop-bff/blank-field#apiKey' });
    expect(field).toMatch(/: JSON key "apiKey" is empty/);
    expect(field).not.toContain(HIDDEN);
  });

  it('access denied to the BFF’s credentials, naming the permissions it needs', async () => {
    await moto.createSecret('shop-bff/guarded', HIDDEN);
    // A user that may list secrets but read none (moto checks actions; see the note on resources).
    const user = await moto.createUser('bff-without-read', {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['secretsmanager:ListSecrets'], Resource: '*' }],
    });
    await moto.enforceIam();
    let message: string;
    try {
      message = await refusal({ [SETTING]: 'shop-bff/guarded', AWS_ACCESS_KEY_ID: user.accessKeyId, AWS_SECRET_ACCESS_KEY: user.secretAccessKey });
    } finally {
      await moto.relaxIam();
    }
    expect(message).toContain(`${SETTING}: access denied to secret shop-bff/guarded`);
    expect(message).toContain('secretsmanager:GetSecretValue and secretsmanager:DescribeSecret');
    expect(message).not.toContain(HIDDEN);
    expect(message).not.toContain(user.secretAccessKey);
  });

  it('the manager unreachable, bounded, and every problem at once', async () => {
    await moto.createSecret('shop-bff/fine', 'a-fine-catalog-key-0123456789');
    moto.setDown(true);
    let message: string;
    try {
      message = await refusal({ [SETTING]: 'shop-bff/fine', PAYMENTS_SECRET_KEY_AWS_SECRET_ID: 'shop-bff/also-fine' });
    } finally {
      moto.setDown(false);
    }
    expect(message).toContain(`${SETTING}: cannot reach AWS Secrets Manager`);
    expect(message).toContain('PAYMENTS_SECRET_KEY_AWS_SECRET_ID: cannot reach AWS Secrets Manager');
  });

  it('an unknown secret beside a missing JSON key: both named in one message', async () => {
    const message = await refusal({ [SETTING]: 'shop-bff/no-such-secret', PAYMENTS_SECRET_KEY_AWS_SECRET_ID: 'shop-bff/json-without-key#secretKey' });
    expect(message).toContain(`${SETTING}: secret shop-bff/no-such-secret does not exist`);
    expect(message).toContain('PAYMENTS_SECRET_KEY_AWS_SECRET_ID: secret shop-bff/json-without-key');
  });
});

describe('after start-up, the manager going away', () => {
  const KEY = 'catalog-key-from-the-manager-0123456789';
  let stack: Stack;
  beforeAll(async () => {
    await moto.createSecret('shop-bff/outage', KEY);
    stack = await startStack({
      env: { ...moto.env, [SETTING]: 'shop-bff/outage', SECRET_MANAGER_POLL_MS: '100', SECRET_MANAGER_MAX_AGE_MS: '60000', DOWNSTREAM_CACHE_MAX_ENTRIES: '0' },
      catalogApiKey: () => KEY,
    });
    stack.watchForLeak(KEY);
  });
  afterAll(async () => {
    moto.setDown(false);
    await stack?.close();
  });

  const warned = () => stack.logLines.filter((l) => l.includes('could not be re-read'));
  const product = async () => (await stack.graphql(`{ product(id: "p1") { id } }`)).body;
  const ready = async () => {
    const res = await stack.fetch('/readyz');
    return { status: res.status, body: JSON.parse(res.text_) as { failing?: string[] } };
  };

  it('keeps the last good value, warns once naming the setting, and stays ready while the value is recent', async () => {
    moto.setDown(true);
    await until(() => warned().length > 0, 'a warning about the failed re-read');
    expect(await product()).toEqual({ data: { product: { id: 'p1' } } });
    expect(stack.recorder.forService('catalog').at(-1)?.headers['x-api-key']).toBe(KEY);
    const line = JSON.parse(warned()[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, setting: SETTING });
    expect(String(line.reason)).toContain('cannot reach AWS Secrets Manager');
    expect(warned()).toHaveLength(1);
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('reports secrets-manager in /readyz once the value is older than SECRET_MANAGER_MAX_AGE_MS, and recovers with the manager', async () => {
    stack.clock.advance(60_001);
    try {
      expect(await ready()).toEqual({ status: 503, body: { status: 'unavailable', failing: ['secrets-manager'] } });
      // Still serving with the last good value: readiness is the operator's signal, not an outage.
      expect(await product()).toEqual({ data: { product: { id: 'p1' } } });
      // However many polls failed meanwhile (one every 100 ms), one warning for the run of them.
      expect(warned()).toHaveLength(1);
      moto.setDown(false);
      await until(() => stack.logLines.some((l) => l.includes('can be read again')), 'the source reading the manager again');
      expect((await ready()).status).toBe(200);
    } finally {
      stack.clock.reset();
    }
  });

  it('lets the value out nowhere: no answer, header or log line', () => {
    expect(stack.leaks()).toEqual([]);
  });
});

describe('how often the manager is read', () => {
  const KEYS = ['catalog-key-one-0123456789abcdef', 'catalog-key-two-0123456789abcdef'];
  let serviceKey = KEYS[0]!;
  let stack: Stack;
  beforeAll(async () => {
    await moto.createSecret('shop-bff/counted', KEYS[0]!);
    // The default poll interval (5 minutes): no poll falls inside this test.
    stack = await startStack({
      env: { ...moto.env, [SETTING]: 'shop-bff/counted', DOWNSTREAM_CACHE_MAX_ENTRIES: '0' },
      catalogApiKey: () => serviceKey,
    });
    for (const k of KEYS) stack.watchForLeak(k);
  });
  afterAll(() => stack?.close());

  it('never per request: 50 calls to the catalog read nothing', async () => {
    const before = moto.requests();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => stack.graphql(`{ product(id: "p${(i % 9) + 1}") { id } }`)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    expect(moto.requests() - before).toBe(0);
  });

  it('on a refusal (401): re-reads it once for many refused calls, and every call succeeds with the new version', async () => {
    await moto.putSecretValue('shop-bff/counted', KEYS[1]!);
    serviceKey = KEYS[1]!;
    const before = moto.requests();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stack.graphql(`{ product(id: "p${(i % 9) + 1}") { id } }`)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    const reads = moto.requests() - before;
    // DescribeSecret, then GetSecretValue of the new version; a waiting call may ask once more.
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reads).toBeLessThanOrEqual(6);
    expect(stack.logLines.some((l) => l.includes('a new version of a secret in AWS Secrets Manager is in use') && l.includes(SETTING))).toBe(true);
  });
});
