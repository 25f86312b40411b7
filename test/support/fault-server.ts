import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DownstreamError } from '../../src/downstream/errors.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { afterAll, afterEach, beforeAll } from '@jest/globals';

/**
 * A recording HTTP server on 127.0.0.1 (port 0) that each test scripts per route:
 * answer normally, slowly, never, with a 5xx or a `Retry-After`, reset the connection,
 * send invalid JSON or the wrong content type, refuse a key until it changes… Every
 * request is recorded as received (raw, still-encoded target; headers; body), so tests
 * assert on what the downstream service actually got.
 */

export interface RecordedRequest {
  readonly method: string;
  /** The request target exactly as sent: path and query, still percent-encoded. */
  readonly url: string;
  /** The raw path (no query), still percent-encoded. */
  readonly path: string;
  /** The query, decoded. */
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `Date.now()` when the request had been read. */
  readonly at: number;
  /** The client's port: equal ports mean one reused keep-alive connection. */
  readonly remotePort: number | undefined;
  /**
   * The status answered, once the answer was sent; undefined while it is pending and for
   * a request that got none (hang, reset).
   */
  readonly status: number | undefined;
}

/** How a route answers; `n` counts this route's requests from 1. */
export type Reply = (req: RecordedRequest, res: ServerResponse, n: number) => void | Promise<void>;

interface Route {
  readonly method: string;
  /** Exact raw path, or a prefix when it ends with `*`. */
  readonly pattern: string;
  readonly reply: Reply;
  count: number;
}

export class FaultServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Requests received and not yet answered (or cut). */
  inFlight = 0;
  /** The most requests in flight at once since the last `reset()`: a client's concurrency cap, seen from here. */
  maxInFlight = 0;
  private routes: Route[] = [];

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, no trailing slash. */
    readonly url: string,
  ) {}

  static async start(): Promise<FaultServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fault = new FaultServer(server, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const recorded: { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] } = {
          method: req.method ?? 'GET',
          url,
          path: q === -1 ? url : url.slice(0, q),
          query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
          remotePort: req.socket.remotePort,
          status: undefined,
        };
        fault.requests.push(recorded);
        fault.maxInFlight = Math.max(fault.maxInFlight, ++fault.inFlight);
        let counted = true;
        const settle = () => {
          if (counted) fault.inFlight--;
          counted = false;
        };
        res.on('finish', () => {
          recorded.status = res.statusCode;
          settle();
        });
        res.on('close', settle);
        void fault.dispatch(recorded, res);
      });
    });
    return fault;
  }

  /** Scripts `method path` (`path` ending in `*` matches a prefix). Later routes win. */
  on(method: string, path: string, reply: Reply): this {
    this.routes.unshift({ method: method.toUpperCase(), pattern: path, reply, count: 0 });
    return this;
  }

  /** The requests received for one method and raw path (no query). */
  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
  }

  /** The requests answered with `status`. */
  answered(status: number): RecordedRequest[] {
    return this.requests.filter((r) => r.status === status);
  }

  /** Forgets routes and recorded requests (between tests sharing one server). */
  reset(): void {
    this.routes = [];
    this.requests.length = 0;
    this.maxInFlight = this.inFlight;
  }

  /** Closes the server, cutting hanging responses and idle keep-alive sockets. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const route = this.routes.find(
      (r) =>
        r.method === req.method &&
        (r.pattern.endsWith('*') ? req.path.startsWith(r.pattern.slice(0, -1)) : req.path === r.pattern),
    );
    try {
      if (route === undefined) return reply.error(404, 'NOT_FOUND', 'no such route')(req, res, 1);
      route.count += 1;
      await route.reply(req, res, route.count);
    } catch {
      if (!res.headersSent) res.writeHead(500).end();
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * For "a timer ends it" tests: how much later than its setting a timer may fire before
 * the test calls it a hang. A loaded machine delays timers by tens, at worst hundreds, of
 * milliseconds; the bug such a test looks for (a timer never armed, or armed in the
 * wrong unit) ends the call never, or a thousand times later, so a generous bound loses
 * nothing.
 */
export const LATE_TIMER_MS = 5000;

/** Ready-made replies; compose them (`sequence`, `slow`, `requireHeader`). */
export const reply = {
  /** A JSON answer. */
  json(body: unknown, status = 200, headers: Record<string, string> = {}): Reply {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(body));
    };
  },

  /** The contract's error body `{"error": {"code", "message", …extra}}`. */
  error(status: number, code: string, message: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Reply {
    return reply.json({ error: { code, message, ...extra } }, status, headers);
  },

  /** A status with an empty body (e.g. 503 with `Retry-After`). */
  status(status: number, headers: Record<string, string> = {}): Reply {
    return (_req, res) => {
      res.writeHead(status, headers);
      res.end();
    };
  },

  /** Any body with any content type (wrong content type, HTML error pages). */
  text(body: string, contentType = 'text/html', status = 200): Reply {
    return (_req, res) => {
      res.writeHead(status, { 'content-type': contentType });
      res.end(body);
    };
  },

  /** Claims JSON but sends something else. */
  invalidJson(status = 200): Reply {
    return reply.text('{"items": [', 'application/json', status);
  },

  /** Waits `ms`, then answers with `then`. */
  slow(ms: number, then: Reply): Reply {
    return async (req, res, n) => {
      await sleep(ms);
      if (!res.destroyed) await then(req, res, n);
    };
  },

  /** Never answers (the connection stays open until the client gives up or `close()`). */
  hang(): Reply {
    return () => {};
  },

  /** Sends headers and part of the body, then never finishes (a body timeout). */
  stall(): Reply {
    return (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"items": [');
    };
  },

  /** Resets the connection without an answer. */
  reset(): Reply {
    return (_req, res) => {
      res.socket?.resetAndDestroy();
    };
  },

  /** Answers the n-th request with the n-th reply; the last one repeats. */
  sequence(...replies: Reply[]): Reply {
    return (req, res, n) => replies[Math.min(n, replies.length) - 1]!(req, res, n);
  },

  /** 401 unless header `name` equals `expected()` at the time of the request. */
  requireHeader(name: string, expected: () => string, then: Reply): Reply {
    return (req, res, n) =>
      req.headers[name.toLowerCase()] === expected()
        ? then(req, res, n)
        : reply.error(401, 'UNAUTHENTICATED', 'missing or wrong credential')(req, res, n);
  },
};

/**
 * A real pino logger whose lines are kept (parsed) so tests can assert on warnings and
 * on what never appears in a log line (credentials).
 */
export function recordingLogger(): { logger: Logger; readonly lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  return {
    logger,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    text: () => raw.join(''),
  };
}

/** The error a call that must fail rejected with; fails the test if the call succeeded. */
export function failure(call: Promise<unknown>): Promise<DownstreamError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err as DownstreamError,
  );
}

/** What a suite gets from `useFaultServer`. */
export interface FaultServerFixture {
  /** The suite's server (set before the first test). */
  readonly server: FaultServer;
  /** Closes `client` after the current test; returns it. */
  track<T extends { close(): Promise<void> }>(client: T): T;
}

/**
 * One fault server for the whole suite: started before the first test, its routes and
 * recordings reset after each test (and the clients the test tracked closed), closed at
 * the end.
 */
export function useFaultServer(): FaultServerFixture {
  let server: FaultServer | undefined;
  const open: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    server = await FaultServer.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
    server?.reset();
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('the fault server starts in beforeAll');
      return server;
    },
    track(client) {
      open.push(client);
      return client;
    },
  };
}
