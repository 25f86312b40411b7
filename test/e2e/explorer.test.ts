import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loadConfig } from '../../src/config/index.js';
import { announceExplorers, EXPLORER_BUILD_COMMAND, EXPLORER_PATH, explorerBuilt, explorerRouter } from '../../src/graphql/explorer.js';
import { createLogger } from '../../src/observability/logger.js';
import { PRODUCTION_ENV } from '../support/production-env.js';
import { type Stack, startStack } from '../support/stack.js';
import { launchChromium } from './support/browser.js';

/**
 * The self-hosted explorer (GraphiQL, bundled by `npm run build:explorer`) in Debian's
 * Chromium, on a network that has nothing but loopback: every request to another host is
 * aborted and recorded. `npm test` builds the explorer before Jest runs.
 */

const DASHBOARD = await readFile(new URL('../../client/operations/Dashboard.graphql', import.meta.url), 'utf8');
/** A browser test waits on a real page; generous, as the machine may be loaded (no assertion on time). */
const TEST_MS = 90_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface OfflineContext {
  readonly context: BrowserContext;
  /** Every request to a host other than loopback, each aborted. */
  readonly offLoopback: string[];
  /** Console errors and page errors, e.g. a Content-Security-Policy refusal. */
  readonly errors: string[];
  page(): Promise<Page>;
}

/** A fresh browser profile whose only network is loopback, optionally with a signed-in user's cookies. */
async function offlineContext(browser: Browser, signedIn?: { stack: Stack; user: string }): Promise<OfflineContext> {
  const context = await browser.newContext();
  const offLoopback: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !LOOPBACK.has(url.hostname)) {
      offLoopback.push(url.href);
      return route.abort('internetdisconnected');
    }
    return route.continue();
  });
  if (signedIn) {
    const { stack, user } = signedIn;
    const jar = await stack.login(user);
    const cookies = await jar.getCookies(stack.bff.url);
    expect(cookies.map((c) => c.key)).toContain(stack.bff.config.session.cookieName);
    await context.addCookies(
      cookies.map((c) => ({ name: c.key, value: c.value, url: stack.bff.url, httpOnly: c.httpOnly, sameSite: 'Lax' as const })),
    );
  }
  return {
    context,
    offLoopback,
    errors,
    async page() {
      const page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      return page;
    },
  };
}

/** The query editor's line that names the dashboard query (Monaco writes spaces as U+00A0). */
const queryLine = (page: Page) => page.locator('.graphiql-query-editor .view-line', { hasText: /query.Dashboard/ });

describe('the self-hosted explorer, where Sandbox is allowed', () => {
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    if (!explorerBuilt()) throw new Error(`the explorer is not built: run \`${EXPLORER_BUILD_COMMAND}\` first (npm test does)`);
    stack = await startStack();
    browser = await launchChromium();
  }, TEST_MS);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  }, TEST_MS);

  it('runs the preloaded dashboard query as the signed-in user, with no network but loopback', async () => {
    const expected = await stack.graphql(DASHBOARD, { jar: await stack.login('alice') });
    const orders = expected.body.data!.me.orders as Array<{ id: string }>;
    expect(orders.length).toBeGreaterThan(0);

    const offline = await offlineContext(browser, { stack, user: 'alice' });
    const page = await offline.page();
    await page.goto(`${stack.bff.url}${EXPLORER_PATH}`);
    // The dashboard query is preloaded in the query editor (Monaco renders its lines).
    await queryLine(page).waitFor({ timeout: TEST_MS });

    const answer = page.waitForResponse((r) => r.url() === `${stack.bff.url}/graphql` && (r.request().postData() ?? '').includes('query Dashboard'));
    await page.locator('.graphiql-execute-button').click();
    const received = (await (await answer).json()) as { data: { me: { name: string; orders: Array<{ id: string }> } } };
    // The explorer sent the session cookie: alice's own orders, exactly those the BFF gives her.
    expect(received.data.me.orders.map((o) => o.id)).toEqual(orders.map((o) => o.id));
    const pane = page.locator('.graphiql-response');
    // The result pane shows her name and her newest order (Monaco renders the lines in view).
    await pane.filter({ hasText: received.data.me.name }).filter({ hasText: orders[0]!.id }).waitFor({ timeout: TEST_MS });

    expect(offline.offLoopback).toEqual([]);
    expect(offline.errors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    await offline.context.close();
  }, TEST_MS);

  it('sends the headers typed in its headers editor', async () => {
    const offline = await offlineContext(browser, { stack, user: 'alice' });
    const page = await offline.page();
    await page.goto(`${stack.bff.url}${EXPLORER_PATH}`);
    await queryLine(page).waitFor({ timeout: TEST_MS });
    await page.locator('.graphiql-editor-tools button[data-name="headers"]').click();
    await page.locator('section.graphiql-editor-tool[aria-label="Headers"] .graphiql-editor:not(.hidden) .monaco-editor').click();
    // insertText, as a paste would: typing would meet Monaco's auto-closed quotes and braces.
    await page.keyboard.insertText('{"x-explorer-check": "typed-in-graphiql"}');
    const sent = page.waitForRequest((r) => r.url() === `${stack.bff.url}/graphql` && (r.postData() ?? '').includes('query Dashboard'));
    await page.locator('.graphiql-execute-button').click();
    expect((await sent).headers()['x-explorer-check']).toBe('typed-in-graphiql');
    // Once the run is in GraphiQL's history, nothing saved holds what the headers editor said.
    // (Expressions as strings: this project's TypeScript has no DOM types.)
    await page.waitForFunction(`Object.values(localStorage).some((v) => v.includes('"queries"') && v.includes('query Dashboard'))`);
    const saved = (await page.evaluate(`Object.values(localStorage).join('\\n')`)) as string;
    expect(saved).not.toContain('typed-in-graphiql');
    expect(offline.offLoopback).toEqual([]);
    await offline.context.close();
  }, TEST_MS);

  it('is reached from the Sandbox page, which links it above Sandbox and in its offline fallback', async () => {
    const offline = await offlineContext(browser);
    const page = await offline.page();
    await page.goto(`${stack.bff.url}/graphql`);
    // Sandbox's code is on Apollo's CDN, out of reach here: its fallback shows, with the link.
    await page.locator('#shop-explorer-fallback').waitFor({ timeout: TEST_MS });
    expect(offline.offLoopback.some((u) => new URL(u).hostname.endsWith('.apollographql.com'))).toBe(true);
    expect(await page.locator('#shop-explorer-fallback a').getAttribute('href')).toBe(EXPLORER_PATH);

    await page.locator('#shop-explorer-link a').click();
    await page.waitForURL(`${stack.bff.url}${EXPLORER_PATH}`);
    await queryLine(page).waitFor({ timeout: TEST_MS });
    await offline.context.close();
  }, TEST_MS);

  it('preloads the dashboard query in Sandbox, with cookies sent and telemetry off', async () => {
    const res = await stack.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const config = JSON.parse(/var embeddedSandboxConfig = (\{.*\});/.exec(res.text_)![1]!) as Record<string, any>;
    expect(config.runTelemetry).toBe(false);
    expect(config.initialState.includeCookies).toBe(true);
    expect(config.initialState.document).toBe(DASHBOARD);
  });

  it('serves its page and hashed assets with a CSP that allows this origin only', async () => {
    const res = await stack.fetch(EXPLORER_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const asset = /src="(\/graphiql\/assets\/[^"]+\.js)"/.exec(res.text_)![1]!;
    const script = await stack.fetch(asset);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cache-control')).toContain('immutable');
  });

  it.each([
    ['an asset that does not exist', `${EXPLORER_PATH}/assets/missing.js`],
    ['a path out of the build directory', `${EXPLORER_PATH}/..%2fpackage.json`],
    ['a dotted path out of the build directory', `${EXPLORER_PATH}/%2e%2e/%2e%2e/package.json`],
  ])('answers %s with the JSON 404 and no file', async (_what, path) => {
    const res = await stack.fetch(path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text_)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(res.text_).not.toContain('"name": "shop-bff"');
  });

  it('is linked from the start-up log', () => {
    const line = stack.logLines.find((l) => l.includes('GraphQL explorer at'));
    expect(line).toContain(`${stack.bff.url}${EXPLORER_PATH}`);
    expect(JSON.parse(line!)).toMatchObject({ level: 30, explorer: `${stack.bff.url}${EXPLORER_PATH}` });
  });
});

describe('the explorer where Sandbox is off (the production default)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { GRAPHQL_SANDBOX: 'false' } });
  }, TEST_MS);
  afterAll(() => stack?.close(), TEST_MS);

  it('is off in production unless GRAPHQL_SANDBOX says otherwise', () => {
    expect(loadConfig(PRODUCTION_ENV).graphql.sandbox).toBe(false);
  });

  it.each([EXPLORER_PATH, `${EXPLORER_PATH}/`, `${EXPLORER_PATH}/index.html`])('answers %s with 404', async (path) => {
    const res = await stack.fetch(path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text_)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('does not announce it at start-up', () => {
    expect(stack.logLines.some((l) => l.includes('GraphQL explorer'))).toBe(false);
  });
});

describe('the explorer when it has not been built', () => {
  let dir: string;
  let base: string;
  let close: () => void;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'explorer-absent-'));
    const app = express().use(EXPLORER_PATH, explorerRouter({ dir }));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => server.close();
  });
  afterAll(async () => {
    close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('says so on the page, naming the command that builds it', async () => {
    const res = await fetch(`${base}${EXPLORER_PATH}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const text = await res.text();
    expect(text).toContain('not built');
    expect(text).toContain(EXPLORER_BUILD_COMMAND);
  });

  it('says so in the start-up log, at warn', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    announceExplorers(logger, { sandbox: true, publicUrl: 'http://localhost:4000', dir });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 40, explorer: 'http://localhost:4000/graphiql' });
    expect(lines[0]).toContain(EXPLORER_BUILD_COMMAND);
  });
});
