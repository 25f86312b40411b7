import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { SessionData, Store } from 'express-session';
import { loadConfig } from '../../../src/config/index.js';
import { staticSecret } from '../../../src/secrets/index.js';
import { createSessionMiddleware, createSessionStore } from '../../../src/session/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An app with only the session middleware and a route that puts something in the session. */
async function start(publicUrl: string, trustProxy: number) {
  const config = loadConfig({ PUBLIC_URL: publicUrl, SESSION_SECRET: 'unit-test-session-secret-0123456789abcdef' });
  const store = createSessionStore();
  const writes: string[] = [];
  const set = store.set.bind(store);
  store.set = (sid, sess, cb) => {
    writes.push(sid);
    set(sid, sess, cb);
  };
  const app = express();
  app.set('trust proxy', trustProxy);
  app.use(createSessionMiddleware({ config, store, secret: staticSecret('unit-test-session-secret-0123456789abcdef', 't') }));
  app.get('/touch-nothing', (_req, res) => {
    res.send('ok');
  });
  app.get('/remember', (req, res) => {
    req.session.pendingLogins = [];
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, config, store: store as Store, writes };
}

describe('createSessionMiddleware', () => {
  it('under an https PUBLIC_URL behind a proxy: __Host- name, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain', async () => {
    const { base, config } = await start('https://shop.example', 1);
    expect(config.session.cookieName).toBe('__Host-shop.sid');
    // The cookie is set between these two moments, however long the request takes.
    const sent = Date.now();
    const res = await fetch(`${base}/remember`, { headers: { 'x-forwarded-proto': 'https' } });
    const [cookie] = res.headers.getSetCookie();
    expect(cookie).toMatch(/^__Host-shop\.sid=s%3A/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie!)![1]!);
    expect(expires - sent).toBeGreaterThan((config.session.idleTimeoutS - 5) * 1000);
    expect(expires - Date.now()).toBeLessThanOrEqual(config.session.idleTimeoutS * 1000);
  });

  it('sends no Secure cookie over what it sees as plain http (trust proxy must be set)', async () => {
    const { base } = await start('https://shop.example', 0);
    const res = await fetch(`${base}/remember`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('stores nothing and sets no cookie for visitors whose session stays empty', async () => {
    const { base, writes } = await start('http://localhost:4000', 0);
    const res = await fetch(`${base}/touch-nothing`);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(writes).toEqual([]);
  });

  it('does not write an unchanged session back (resave: false), but slides the cookie (rolling)', async () => {
    const { base, writes, store } = await start('http://localhost:4000', 0);
    const first = await fetch(`${base}/remember`);
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(writes).toHaveLength(1);
    const again = await fetch(`${base}/touch-nothing`, { headers: { cookie } });
    expect(again.headers.getSetCookie()[0]!.split(';')[0]).toBe(cookie);
    expect(writes).toHaveLength(1);
    const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
    const stored = await new Promise<SessionData | null | undefined>((r) => store.get(sid, (_e, s) => r(s)));
    expect(stored?.pendingLogins).toEqual([]);
  });
});

describe('the session cookie on each response', () => {
  it('clears a cookie that names no live session, and sends no-store with it', async () => {
    const { base } = await start('http://localhost:4000', 0);
    const res = await fetch(`${base}/touch-nothing`, { headers: { cookie: 'shop.sid=s%3Aunknown.sig; other=1' } });
    expect(res.headers.getSetCookie()).toEqual([expect.stringMatching(/^shop\.sid=; Path=\/; Expires=Thu, 01 Jan 1970/)]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    // Someone else's cookie of a similar name is not ours to clear.
    const other = await fetch(`${base}/touch-nothing`, { headers: { cookie: 'shop.sid2=x' } });
    expect(other.headers.getSetCookie()).toEqual([]);
    expect(other.headers.get('cache-control')).toBeNull();
  });

  it('marks the rolling re-send of a live session no-store', async () => {
    const { base } = await start('http://localhost:4000', 0);
    const first = await fetch(`${base}/remember`);
    expect(first.headers.get('cache-control')).toBe('no-store');
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    const again = await fetch(`${base}/touch-nothing`, { headers: { cookie } });
    expect(again.headers.getSetCookie()).toHaveLength(1);
    expect(again.headers.get('cache-control')).toBe('no-store');
  });
});
