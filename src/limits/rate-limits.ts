import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  type IRateLimiterRedisOptions,
  RateLimiterMemory,
  type RateLimiterAbstract,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config/index.js';
import { sendErrorFor } from '../lib/error-response.js';
import type { Logger } from '../observability/logger.js';
import { luaScript, redisReady, type SharedRedis } from '../session/index.js';

/** Which limit refused a request: the `limit` label of logs and metrics. */
export type RateLimitName = 'session' | 'anonymous' | 'login';

export interface RateLimitOptions {
  readonly config: RateLimitConfig;
  /**
   * Counts in Redis, shared by every instance (one atomic INCR-with-expiry script per
   * request). Without it, counts live in process memory (one instance only).
   */
  readonly redis?: SharedRedis;
  /** Put in front of every key, as for the sessions. Default `shop-bff:`. */
  readonly namespace?: string;
  /**
   * The window the limits are counted over, in whole seconds; the limits apply per
   * window. Only tests shorten it (to see a limit reset without waiting a minute).
   * Default `60`, which makes the `*_PER_MIN` settings what they say.
   */
  readonly windowS?: number;
  readonly logger: Logger;
  /** Called for every refused request (a metric). */
  readonly onLimited?: (limit: RateLimitName) => void;
}

export interface RateLimits {
  /**
   * Per client IP, for `/auth/login` and `/auth/callback`. Needs no session, so mount it
   * before the session middleware: a refused request then costs no session read and
   * never reaches the identity provider.
   */
  readonly login: RequestHandler;
  /**
   * Per signed-in session, or per client IP without one, for `/graphql` and
   * `/auth/user`. Mount after the session middleware (it reads `req.session.auth`) and
   * before anything that calls a downstream service.
   */
  readonly api: RequestHandler;
}

/**
 * The rate limits of the clients' contract, on rate-limiter-flexible: fixed windows,
 * counted in Redis when there is one (so two instances share one count) and in memory
 * otherwise. A request over a limit gets `429` with `Retry-After` (whole seconds, at
 * least 1) and the `RATE_LIMITED` code, in the GraphQL error shape on `/graphql` and
 * the API's `{"error": …}` shape elsewhere.
 *
 * When Redis fails (down, not yet reconnected, erroring), each instance counts in its
 * own memory with the same limits (the library's `insuranceLimiter`): the limits then
 * apply per instance, looser by the number of instances, rather than not at all, and a
 * request never waits on a Redis that is away (`rejectIfRedisNotReady`). A warning is
 * logged once per outage.
 *
 * Keys say what they count: `<namespace>rl:session:<hash of the session id>`,
 * `…rl:anonymous:<ip>`, `…rl:login:<ip>`. The session id is hashed (SHA-256) so that
 * the limiter's keys never hold it; IPv6 clients are counted per /64 network, since one
 * subscriber usually holds a whole /64.
 */
export function createRateLimits(opts: RateLimitOptions): RateLimits {
  const windowS = opts.windowS ?? 60;
  if (!Number.isInteger(windowS) || windowS < 1) throw new Error('rate limit window must be a whole number of seconds');
  const namespace = opts.namespace ?? 'shop-bff:';
  const log = opts.logger.child({ component: 'rate-limits' });
  const redis = opts.redis;
  let redisAway = false;

  const limiter = (name: RateLimitName, points: number): RateLimiterAbstract | undefined => {
    if (points === 0) return undefined;
    const keyPrefix = `${namespace}rl:${name}`;
    if (!redis) return new RateLimiterMemory({ points, duration: windowS, keyPrefix });
    const options: IRateLimiterRedisOptions = {
      storeClient: limiterClient(redis),
      // Its detection of node-redis looks for a class that node-redis 5 no longer has.
      useRedisPackage: true,
      points,
      duration: windowS,
      keyPrefix,
      // Go to the insurance limiter at once while the client reconnects, instead of
      // queueing the command until Redis is back.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points, duration: windowS, keyPrefix }),
      // Once a key is over its limit, this instance refuses it from memory for the rest
      // of the window: a client hammering the BFF costs no Redis round trip per request.
      inMemoryBlockOnConsumed: points + 1,
    };
    return new RateLimiterRedis(options);
  };

  const limits: Record<RateLimitName, number> = {
    session: opts.config.sessionPerMin,
    anonymous: opts.config.anonymousPerMin,
    login: opts.config.loginPerMin,
  };
  const limiters = {
    session: limiter('session', limits.session),
    anonymous: limiter('anonymous', limits.anonymous),
    login: limiter('login', limits.login),
  };

  const noteRedisState = () => {
    if (!redis) return;
    // Only a signal for the log: the limiter itself switches to its insurance.
    const ready = redisReady(redis);
    if (!ready && !redisAway) {
      redisAway = true;
      log.warn('Redis is unreachable: rate limits are counted per instance until it is back');
    } else if (ready && redisAway) {
      redisAway = false;
      log.info('Redis is back: rate limits are shared again');
    }
  };

  /** Counts the request against `name`'s limit under `key`; serves it, or answers 429. */
  const check = (name: RateLimitName, key: string, req: Request, res: Response, next: NextFunction): void => {
    const rl = limiters[name];
    if (!rl) return next();
    noteRedisState();
    rl.consume(key).then(
      () => next(),
      (outcome: unknown) => {
        if (outcome instanceof RateLimiterRes) return refuse(name, outcome, req, res);
        // Not a verdict but a failure even of the memory limiter: serve the request.
        log.warn({ err: { message: (outcome as Error)?.message } }, 'rate limit check failed; request let through');
        next();
      },
    );
  };

  const refuse = (name: RateLimitName, verdict: RateLimiterRes, req: Request, res: Response): void => {
    opts.onLimited?.(name);
    // One line per client and window (its first refusal), not one per refused request.
    if (verdict.consumedPoints === limits[name] + 1) {
      log.info({ limit: name, requestId: res.locals.requestId }, 'rate limit reached');
    }
    const retryAfterS = Math.max(1, Math.ceil(verdict.msBeforeNext / 1000));
    const message = `Too many requests; retry after ${retryAfterS} s.`;
    const code = 'RATE_LIMITED';
    res.set('Retry-After', String(retryAfterS));
    res.set('Cache-Control', 'no-store');
    sendErrorFor(req, res, 429, code, message);
  };

  return {
    login: (req, res, next) => check('login', clientKey(req), req, res, next),
    api: (req, res, next) =>
      req.session?.auth !== undefined
        ? check('session', sessionKey(req.sessionID), req, res, next)
        : check('anonymous', clientKey(req), req, res, next),
  };
}

/** A session's key: a hash of its id, never the id itself (nor the cookie value). */
function sessionKey(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 32);
}

/** The client as express sees it through `trust proxy` (TRUST_PROXY_HOPS). */
function clientKey(req: Request): string {
  return ipKey(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

/**
 * The counted unit of an address: an IPv4 address as is (also when written IPv4-mapped,
 * `::ffff:1.2.3.4`), an IPv6 address by its /64 network.
 */
export function ipKey(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::');
  // A trailing dotted IPv4 part (`64:ff9b::1.2.3.4`) takes the room of two groups.
  const split = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const left = split(head);
  const right = split(tail);
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * The Redis client rate-limiter-flexible is given: the shared client's readiness, and
 * `eval` run by EVALSHA. The library sends its increment script's whole text with EVAL
 * on every request, which Redis hashes each time; by its hash Redis runs the cached
 * script (3.2 instead of 3.9 µs of Redis CPU per request, measured in-process; the
 * BFF's own CPU is the same). Redis is the one thing every instance shares. `consume`
 * with a window of whole seconds, all this file asks of the library, only calls `eval`.
 */
function limiterClient(redis: SharedRedis): { readonly isReady: boolean; eval(source: string, o: { keys: string[]; arguments: string[] }): Promise<unknown> } {
  const scripts = new Map<string, ReturnType<typeof luaScript>>();
  return {
    get isReady() {
      return redisReady(redis);
    },
    eval(source, o) {
      let run = scripts.get(source);
      if (run === undefined) scripts.set(source, (run = luaScript(redis, source)));
      return run(o.keys, o.arguments);
    },
  };
}
