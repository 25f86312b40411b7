import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import signature from 'cookie-signature';
import type { SecretSource } from '../../../src/secrets/index.js';
import { staticSecret } from '../../../src/secrets/index.js';
import { signedSessionIdReader } from '../../../src/session/index.js';

const NAME = '__Host-shop.sid';
const ID = 'rB9xq0m3Vn1kq2Yb0cF8c2mJ6dX9Wq3nT5uLk7aQz1E';
/** What express-session sends: `s:` + the id signed with the newest secret, URI-encoded. */
const cookieFor = (id: string, secret: string, name = NAME) => `${name}=${encodeURIComponent(`s:${signature.sign(id, secret)}`)}`;
const request = (cookie?: string) => ({ headers: cookie === undefined ? {} : { cookie } }) as IncomingMessage;

/** A secret whose value the test changes, as a rotated file would. */
function rotating(value: string): SecretSource & { set(v: string): void } {
  let v = value;
  return { description: 'test', current: () => v, refresh: async () => false, close: () => {}, set: (next) => (v = next) };
}

describe('the session id of a signed session cookie, read before the session', () => {
  it('reads the id express-session signed, among other cookies', () => {
    const read = signedSessionIdReader(NAME, staticSecret('s3cret-one', 'test'));
    expect(read(request(cookieFor(ID, 's3cret-one')))).toBe(ID);
    expect(read(request(`theme=dark; ${cookieFor(ID, 's3cret-one')}; other=1`))).toBe(ID);
  });

  it('verifies under every secret of the list, newest first, and follows a rotation at once', () => {
    const secret = rotating('new-secret, old-secret');
    const read = signedSessionIdReader(NAME, secret);
    expect(read(request(cookieFor(ID, 'old-secret')))).toBe(ID);
    expect(read(request(cookieFor(ID, 'new-secret')))).toBe(ID);
    secret.set('newest-secret');
    expect(read(request(cookieFor(ID, 'old-secret')))).toBeUndefined();
    expect(read(request(cookieFor(ID, 'newest-secret')))).toBe(ID);
  });

  it('reads nothing from a forged, tampered, unsigned, other or missing cookie', () => {
    const read = signedSessionIdReader(NAME, staticSecret('s3cret-one', 'test'));
    expect(read(request(cookieFor(ID, 'someone-elses-secret')))).toBeUndefined();
    const genuine = `s:${signature.sign(ID, 's3cret-one')}`;
    expect(read(request(`${NAME}=${encodeURIComponent(genuine.replace(ID, `${ID.slice(0, -1)}F`))}`))).toBeUndefined();
    expect(read(request(`${NAME}=${encodeURIComponent(genuine.slice(0, -2))}`))).toBeUndefined();
    expect(read(request(`${NAME}=${ID}`))).toBeUndefined();
    expect(read(request(`${NAME}=`))).toBeUndefined();
    expect(read(request(cookieFor(ID, 's3cret-one', 'shop.sid')))).toBeUndefined();
    expect(read(request('not a cookie header; ;;='))).toBeUndefined();
    expect(read(request())).toBeUndefined();
  });
});
