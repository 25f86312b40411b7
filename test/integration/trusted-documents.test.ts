import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { CookieJar } from 'tough-cookie';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from '../../src/config/index.js';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Trusted documents on the whole stack: the manifest codegen writes, the ways a client
 * names a listed operation, and what is refused under enforce before Apollo parses it
 * (so no downstream service is called).
 */

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const MANIFEST = JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;
const listed = (name: string) => {
  const found = Object.entries(MANIFEST).find(([, text]) => new RegExp(`^(query|mutation) ${name}\\b`).test(text));
  if (!found) throw new Error(`${name} is not in the generated manifest`);
  return { documentId: found[0], hex: found[0].slice('sha256:'.length), text: found[1] };
};
const DASHBOARD = listed('Dashboard');
const SIGN_IN_STATE = listed('SignInState');
const AD_HOC = 'query AdHoc { me { id } }';

interface Answer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

function client(stack: () => Stack) {
  const answer = async (res: Response & { text_: string }): Promise<Answer> => ({ status: res.status, body: JSON.parse(res.text_) });
  return {
    post: async (body: Record<string, unknown>, jar?: CookieJar) =>
      answer(
        await stack().fetch('/graphql', {
          method: 'POST',
          jar,
          headers: { 'content-type': 'application/json', origin: stack().bff.url },
          body: JSON.stringify(body),
        }),
      ),
    get: async (params: Record<string, string>, jar?: CookieJar) =>
      answer(
        await stack().fetch(`/graphql?${new URLSearchParams(params)}`, {
          jar,
          // Apollo's CSRF prevention wants a header a simple cross-site GET cannot carry.
          headers: { 'apollo-require-preflight': 'true' },
        }),
      ),
  };
}

const apq = (sha256Hash: unknown, version: unknown = 1) => ({ persistedQuery: { version, sha256Hash } });
const expectDashboard = (answer: Answer) => {
  expect(answer.body.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.body.data.me.id).toBe('alice');
  expect(answer.body.data.me.orders.length).toBeGreaterThan(0);
  expect(answer.body.data.me.orders[0].lines[0].product).toMatchObject({ __typename: 'Product', id: expect.any(String) });
};
const expectRefused = (answer: Answer, code: string) => {
  expect(answer.status).toBe(400);
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors![0]!.extensions?.code).toBe(code);
  expect(answer.body.data).toBeUndefined();
};

describe('under enforce', () => {
  let stack: Stack;
  let alice: CookieJar;
  let dir: string;
  let file: string;
  const { post, get } = client(() => stack);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bff-trusted-'));
    file = join(dir, 'persisted-documents.json');
    copyFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, file);
    stack = await startStack({ env: { GRAPHQL_TRUSTED_DOCUMENTS: 'enforce', GRAPHQL_TRUSTED_DOCUMENTS_FILE: file } });
    alice = await stack.login('alice');
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => stack.recorder.clear());

  describe('a listed operation runs for a signed-in user when named by', () => {
    it('POST documentId', async () => expectDashboard(await post({ documentId: DASHBOARD.documentId }, alice)));
    it('POST APQ hash (what Apollo Client and the mobile clients send)', async () =>
      expectDashboard(await post({ extensions: apq(DASHBOARD.hex) }, alice)));
    it('POST exact text', async () => expectDashboard(await post({ query: DASHBOARD.text }, alice)));
    it('POST APQ hash with its exact text (the link retrying)', async () =>
      expectDashboard(await post({ query: DASHBOARD.text, extensions: apq(DASHBOARD.hex) }, alice)));
    it('GET documentId', async () => expectDashboard(await get({ documentId: DASHBOARD.documentId }, alice)));
    it('GET APQ extensions', async () => expectDashboard(await get({ extensions: JSON.stringify(apq(DASHBOARD.hex)) }, alice)));
    it('GET exact text', async () => expectDashboard(await get({ query: DASHBOARD.text }, alice)));
  });

  it('passes variables and operationName through with an id', async () => {
    const { body } = await post({ documentId: listed('ProductPage').documentId, variables: { id: 'p1' }, operationName: 'ProductPage' });
    expect(body.errors).toBeUndefined();
    expect(body.data.product).toMatchObject({ id: 'p1', name: expect.any(String) });
  });

  describe('is refused with HTTP 400, one error and no downstream call', () => {
    const unknownHex = hex('query Unknown { me { id } }');
    const cases: Array<[string, () => Promise<Answer>, string]> = [
      ['an unknown documentId', () => post({ documentId: `sha256:${unknownHex}` }, alice), 'PERSISTED_QUERY_NOT_FOUND'],
      ['an unknown APQ hash', () => post({ extensions: apq(unknownHex) }, alice), 'PERSISTED_QUERY_NOT_FOUND'],
      ['an unknown id over GET', () => get({ documentId: `sha256:${unknownHex}` }, alice), 'PERSISTED_QUERY_NOT_FOUND'],
      ['an unlisted document', () => post({ query: AD_HOC }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['an unlisted document over GET', () => get({ query: AD_HOC }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      // Refused before parsing: a parse error would have said GRAPHQL_PARSE_FAILED.
      ['unlisted text that does not even parse', () => post({ query: '{ me { id ' }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['a listed document reformatted', () => post({ query: `${DASHBOARD.text}\n` }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['a listed id with another document', () => post({ documentId: DASHBOARD.documentId, query: SIGN_IN_STATE.text }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['a listed APQ hash with another document', () => post({ query: AD_HOC, extensions: apq(DASHBOARD.hex) }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['an APQ registration (text and its own hash)', () => post({ query: AD_HOC, extensions: apq(hex(AD_HOC)) }, alice), 'TRUSTED_DOCUMENT_REQUIRED'],
      ['a documentId without the sha256: prefix', () => post({ documentId: DASHBOARD.hex }, alice), 'BAD_REQUEST'],
      ['a documentId in upper case', () => post({ documentId: `sha256:${DASHBOARD.hex.toUpperCase()}` }, alice), 'BAD_REQUEST'],
      ['a documentId that is not text', () => post({ documentId: 42 }, alice), 'BAD_REQUEST'],
      ['a short APQ hash', () => post({ extensions: apq('abc123') }, alice), 'BAD_REQUEST'],
      ['an APQ version other than 1', () => post({ extensions: apq(DASHBOARD.hex, 2) }, alice), 'BAD_REQUEST'],
      ['a documentId and an APQ hash that disagree', () => post({ documentId: DASHBOARD.documentId, extensions: apq(SIGN_IN_STATE.hex) }, alice), 'BAD_REQUEST'],
      ['GET extensions that are not JSON', () => get({ extensions: '{persistedQuery', query: DASHBOARD.text }, alice), 'BAD_REQUEST'],
    ];
    it.each(cases)('%s', async (_what, send, code) => {
      expectRefused(await send(), code);
      expect(stack.recorder.all).toHaveLength(0);
    });
  });

  it('never registers a document: after an APQ registration attempt the hash is still unknown', async () => {
    expectRefused(await post({ query: AD_HOC, extensions: apq(hex(AD_HOC)) }, alice), 'TRUSTED_DOCUMENT_REQUIRED');
    expectRefused(await post({ extensions: apq(hex(AD_HOC)) }, alice), 'PERSISTED_QUERY_NOT_FOUND');
    expect(stack.recorder.all).toHaveLength(0);
  });

  it('takes a replaced manifest without a restart, while requests keep succeeding', async () => {
    const extra = 'query SignedInId { __typename me { __typename id } }';
    // Listed operations keep running throughout the swap.
    let swapped = false;
    const answers: Answer[] = [];
    const background = (async () => {
      while (!swapped) answers.push(await post({ documentId: DASHBOARD.documentId }, alice));
    })();

    const next = { ...MANIFEST, [`sha256:${hex(extra)}`]: extra };
    writeFileSync(join(dir, '.next.json'), JSON.stringify(next, null, 2));
    renameSync(join(dir, '.next.json'), file);
    // Until the watcher has reloaded, the new id is unknown; after, it runs. Paced by
    // answers, not time: the test timeout is only the guard against a real hang.
    let accepted: Answer | undefined;
    while (!accepted) {
      const answer = await post({ documentId: `sha256:${hex(extra)}` }, alice);
      if (answer.status === 200) accepted = answer;
      else expectRefused(answer, 'PERSISTED_QUERY_NOT_FOUND');
    }
    swapped = true;
    await background;
    expect(accepted.body).toEqual({ data: { __typename: 'Query', me: { __typename: 'Viewer', id: 'alice' } } });
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expectDashboard(answer);

    // A malformed new version is logged and skipped; the last good list stays.
    const before = stack.logLines.length;
    writeFileSync(join(dir, '.next.json'), '{"sha256:');
    renameSync(join(dir, '.next.json'), file);
    while (!stack.logLines.slice(before).some((l) => l.includes('the last good one stays in use'))) {
      expectDashboard(await post({ documentId: DASHBOARD.documentId }, alice));
    }
    expect((await post({ documentId: `sha256:${hex(extra)}` }, alice)).status).toBe(200);
    expectDashboard(await post({ documentId: DASHBOARD.documentId }, alice));
  });
});

describe('under log (the default outside production)', () => {
  let stack: Stack;
  let alice: CookieJar;
  const { post } = client(() => stack);

  beforeAll(async () => {
    stack = await startStack();
    alice = await stack.login('alice');
  });
  afterAll(() => stack?.close());

  it('runs an unlisted document and logs its name and hash, never its variables', async () => {
    const text = 'query Lookup($q: String!) { searchProducts(query: $q) { nodes { id } } }';
    const { status, body } = await post({ query: text, variables: { q: 'p1-variable-value' } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.searchProducts.nodes).toEqual(expect.any(Array));
    const line = stack.logLines.find((l) => l.includes('unlisted GraphQL document ran'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ operationName: 'Lookup', documentHash: hex(text) });
    expect(line).not.toContain('p1-variable-value');
    expect(line).not.toContain('searchProducts(');
  });

  it('does not log listed documents', async () => {
    const before = stack.logLines.length;
    expectDashboard(await post({ query: DASHBOARD.text }, alice));
    expectDashboard(await post({ documentId: DASHBOARD.documentId }, alice));
    expect(stack.logLines.slice(before).filter((l) => l.includes('unlisted GraphQL document'))).toEqual([]);
  });

  it("answers an unknown id with PERSISTED_QUERY_NOT_FOUND, so Apollo's link retries with the text", async () => {
    expectRefused(await post({ extensions: apq(hex(AD_HOC)) }, alice), 'PERSISTED_QUERY_NOT_FOUND');
    const retried = await post({ query: AD_HOC, extensions: apq(hex(AD_HOC)) }, alice);
    expect(retried.body).toEqual({ data: { me: { id: 'alice' } } });
    // Nothing was registered by running it.
    expectRefused(await post({ extensions: apq(hex(AD_HOC)) }, alice), 'PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses an id sent with text it is not the hash of', async () => {
    stack.recorder.clear();
    expectRefused(await post({ query: AD_HOC, extensions: apq(DASHBOARD.hex) }, alice), 'BAD_REQUEST');
    expectRefused(await post({ query: AD_HOC, documentId: `sha256:${hex('other')}` }, alice), 'BAD_REQUEST');
    expect(stack.recorder.all).toHaveLength(0);
  });
});

describe('off', () => {
  let stack: Stack;
  const { post } = client(() => stack);
  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_TRUSTED_DOCUMENTS: 'off' } });
  });
  afterAll(() => stack?.close());

  it('still resolves listed ids, and runs other documents without logging them', async () => {
    expect((await post({ documentId: SIGN_IN_STATE.documentId })).body).toEqual({ data: { __typename: 'Query', me: null } });
    expect((await post({ query: AD_HOC })).body).toEqual({ data: { me: null } });
    expect(stack.logLines.filter((l) => l.includes('unlisted GraphQL document'))).toEqual([]);
  });
});
