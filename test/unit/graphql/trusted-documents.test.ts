import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE } from '../../../src/config/index.js';
import { ManifestError, openTrustedDocumentStore, parseManifest } from '../../../src/graphql/trusted-documents/index.js';
import { createLogger } from '../../../src/observability/logger.js';

const hex = (text: string) => createHash('sha256').update(text).digest('hex');
const entry = (text: string): [string, string] => [`sha256:${hex(text)}`, text];
const manifestOf = (...docs: string[]) => JSON.stringify(Object.fromEntries(docs.map(entry)));

const ME = 'query Me { me { id } }';
const PRODUCT = 'query P($id: ID!) { product(id: $id) { name } }';

describe('parseManifest', () => {
  it('reads the client preset format, by hex', () => {
    const manifest = parseManifest(manifestOf(ME, PRODUCT), 'm.json');
    expect(manifest.size).toBe(2);
    expect(manifest.get(hex(ME))).toBe(ME);
    expect(manifest.get(hex('query Other { me { id } }'))).toBeUndefined();
  });

  it('reads the manifest codegen writes', () => {
    const manifest = parseManifest(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8'), DEFAULT_TRUSTED_DOCUMENTS_FILE);
    expect(manifest.size).toBeGreaterThanOrEqual(6);
  });

  it.each([
    ['not JSON', '{"sha256:', /m\.json is not valid JSON/],
    ['an array', '[]', /m\.json must be a JSON object/],
    ['null', 'null', /m\.json must be a JSON object/],
    ['a key without the sha256: prefix', JSON.stringify({ [hex(ME)]: ME }), /m\.json: key .* is not "sha256:"/],
    ['an upper-case key', JSON.stringify({ [`sha256:${hex(ME).toUpperCase()}`]: ME }), /is not "sha256:" and 64 lowercase hex/],
    ['a short key', JSON.stringify({ 'sha256:abc': ME }), /is not "sha256:"/],
    ['a value that is not text', JSON.stringify({ [`sha256:${hex(ME)}`]: 42 }), /must map to the document's text/],
    ['an empty document', JSON.stringify({ [`sha256:${hex('')}`]: '' }), /must map to the document's text/],
    ['a document edited after hashing', JSON.stringify({ [`sha256:${hex(ME)}`]: PRODUCT }), /is not the SHA-256 of its document/],
  ])('refuses %s, naming the file', (_what, text, message) => {
    expect(() => parseManifest(text, 'm.json')).toThrow(ManifestError);
    expect(() => parseManifest(text, 'm.json')).toThrow(message);
  });
});

describe('openTrustedDocumentStore', () => {
  let dir: string;
  let lines: string[];
  const logger = () =>
    createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bff-manifest-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses to start under enforce when the file is missing or malformed, naming it', () => {
    const missing = join(dir, 'missing.json');
    expect(() => openTrustedDocumentStore({ file: missing, mode: 'enforce', logger: logger(), production: true })).toThrow(ManifestError);
    expect(() => openTrustedDocumentStore({ file: missing, mode: 'enforce', logger: logger(), production: true })).toThrow(missing);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => openTrustedDocumentStore({ file: bad, mode: 'enforce', logger: logger(), production: false })).toThrow(
      new RegExp(`${bad}.*not valid JSON.*GRAPHQL_TRUSTED_DOCUMENTS=enforce`),
    );
  });

  it('starts with an empty list outside enforce, and says so', () => {
    const store = openTrustedDocumentStore({ file: join(dir, 'missing.json'), mode: 'log', logger: logger(), production: false });
    expect(store.current().size).toBe(0);
    expect(lines.join('')).toContain('every document counts as unlisted');
    store.close();
  });

  it('warns when production does not enforce the list', () => {
    writeFileSync(join(dir, 'm.json'), manifestOf(ME));
    openTrustedDocumentStore({ file: join(dir, 'm.json'), mode: 'log', logger: logger(), production: true }).close();
    expect(lines.join('')).toContain('operations outside the manifest run in production');
  });

  it('takes a replaced file, and keeps the last good list when a new one is malformed', async () => {
    const file = join(dir, 'm.json');
    writeFileSync(file, manifestOf(ME));
    const store = openTrustedDocumentStore({ file, mode: 'enforce', logger: logger(), production: true });
    const replace = async (text: string, logLine: string) => {
      const before = lines.length;
      writeFileSync(join(dir, '.m.json.tmp'), text);
      renameSync(join(dir, '.m.json.tmp'), file);
      // The directory watcher reloads; wait for its log line (the test timeout is the hang guard).
      while (!lines.slice(before).some((l) => l.includes(logLine))) await new Promise((r) => setTimeout(r, 10));
    };
    await replace(manifestOf(ME, PRODUCT), 'manifest reloaded');
    expect(store.current().get(hex(PRODUCT))).toBe(PRODUCT);

    await replace('{"sha256:truncated', 'the last good one stays in use');
    expect(store.current().size).toBe(2);
    expect(store.current().get(hex(ME))).toBe(ME);
    store.close();
  });
});

describe('the generated manifests', () => {
  it('list the same documents under both id forms, one named operation each', () => {
    const dir = join(DEFAULT_TRUSTED_DOCUMENTS_FILE, '..');
    const documents = JSON.parse(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8')) as Record<string, string>;
    const apollo = JSON.parse(readFileSync(join(dir, 'persisted-query-manifest.json'), 'utf8'));
    expect(apollo).toMatchObject({ format: 'apollo-persisted-query-manifest', version: 1 });
    const fromApollo = Object.fromEntries(apollo.operations.map((op: { id: string; body: string }) => [`sha256:${op.id}`, op.body]));
    expect(fromApollo).toEqual(documents);
    for (const op of apollo.operations) expect(hex(op.body)).toBe(op.id);
    expect(apollo.operations.map((op: { name: string; type: string }) => `${op.type} ${op.name}`).sort()).toEqual([
      'mutation PayOrder',
      'mutation PlaceOrder',
      'query Dashboard',
      'query ProductPage',
      'query SearchProducts',
      'query SignInState',
    ]);
  });
});
