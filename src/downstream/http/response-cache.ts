import CachePolicy from 'http-cache-semantics';
import { LRUCache } from 'lru-cache';
import { RESPONSE_CACHE_MAX_ENTRIES } from '../../config/defaults.js';
import { copyJson } from './json-copy.js';

/**
 * A bounded, process-wide HTTP cache for the answers of one service's GETs that are the
 * same for every user (catalog, reviews). The service decides what may be cached and for
 * how long (`Cache-Control`, `Expires`, `ETag`, `Last-Modified`, RFC 9111 rules as
 * implemented by http-cache-semantics, as a shared cache); nothing is cached by
 * heuristics. Stale entries with a validator are revalidated (`If-None-Match`,
 * `If-Modified-Since`) and a `304` reuses the stored body.
 *
 * It never sees a user's request: `ServiceHttp` only consults it for calls made with the
 * service's own credential (the BFF's, identical for every user), never for a call that
 * brings its own (a user's token); the key is the path and query alone for that reason.
 *
 * Bodies are parsed once, when stored, and each hit gets its own deep copy of that
 * (`copyJson`, about four times cheaper than parsing the text again), so every caller
 * gets its own objects and one caller mutating a DTO can never change what another one
 * sees; the stored value itself is never handed out.
 */

export interface ResponseCacheOptions {
  /** Most answers kept (least recently used go first). Default `1000` (`RESPONSE_CACHE_MAX_ENTRIES`). */
  readonly maxEntries?: number | undefined;
  /**
   * Most body characters kept in total, counted as the text the answers came in (held
   * parsed, they take a few times that in memory); a bigger single body is not stored.
   * Default 16 Mi.
   */
  readonly maxChars?: number | undefined;
}

interface Entry {
  policy: CachePolicy;
  /**
   * Until when (epoch ms) the stored answer may be used without asking the service: the
   * policy's verdict for our one request, worked out once when it is stored or
   * revalidated. 0: never (stale, `must-revalidate`, `no-cache`, a `Vary` ours misses).
   */
  freshUntil: number;
  /** The parsed body; only copies of it leave the cache. */
  readonly value: unknown;
  /** Characters of the body it was parsed from (what `maxChars` counts). */
  readonly chars: number;
}

/** What a revalidation needs: the entry it is about and the conditional headers to send. */
export interface Revalidation {
  readonly entry: Entry;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The request as the cache policy sees it. No credential: it is the BFF's own and the
 * same for every caller (and, as an `Authorization` header, would make a shared cache
 * refuse every response without `public`).
 */
const requestFor = (key: string): CachePolicy.Request => ({ url: key, method: 'GET', headers: { accept: 'application/json' } });

/**
 * The policy's answer to "may this be used without the network, and for how long", for
 * the one request the cache ever presents for `key` (`requestFor`: no request
 * directives, fixed headers). For that request the verdict only changes with time, as
 * the answer's age reaches its freshness lifetime, so it is worked out once per store
 * or revalidation, not on every hit (where http-cache-semantics would parse headers and
 * copy the response headers each time).
 */
function freshUntil(policy: CachePolicy, key: string): number {
  // Fresh while its age is below its max-age (`stale()`); not `timeToLive()`, which adds
  // stale-while-revalidate and stale-if-error time.
  return policy.satisfiesWithoutRevalidation(requestFor(key)) ? Date.now() + (policy.maxAge() - policy.age()) * 1000 : 0;
}

/** Only what the service declares; no heuristic freshness from `Last-Modified` alone. */
const POLICY_OPTIONS: CachePolicy.Options = { shared: true, cacheHeuristic: 0 };

/**
 * Whether every hit will be able to copy `value`: a body nested deeper than the stack
 * allows `copyJson` (thousands of levels, which JSON.parse accepts) is not stored, so it
 * fails nobody's call later.
 */
function copyable(value: unknown): boolean {
  try {
    copyJson(value);
    return true;
  } catch {
    return false;
  }
}

export class ResponseCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(opts: ResponseCacheOptions = {}) {
    this.entries = new LRUCache<string, Entry>({
      max: opts.maxEntries ?? RESPONSE_CACHE_MAX_ENTRIES,
      maxSize: opts.maxChars ?? 16 * 1024 * 1024,
      sizeCalculation: (entry, key) => entry.chars + key.length || 1,
    });
  }

  /** A copy of a fresh stored answer, or undefined when the network must be asked. */
  fresh(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined || Date.now() >= entry.freshUntil) return undefined;
    return copyJson(entry.value);
  }

  /** The conditional headers for a stale entry with a validator, or undefined. */
  revalidation(key: string): Revalidation | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const all = entry.policy.revalidationHeaders(requestFor(key));
    const headers: Record<string, string> = {};
    for (const name of ['if-none-match', 'if-modified-since'] as const) {
      const value = all[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return Object.keys(headers).length > 0 ? { entry, headers } : undefined;
  }

  /**
   * After a `304` to a revalidation: updates the entry's freshness and returns a copy of
   * its body; undefined when the 304 does not match what is stored (then the caller
   * must fetch again without conditions).
   */
  notModified(key: string, revalidation: Revalidation, headers: CachePolicy.Headers): unknown {
    const { policy, modified, matches } = revalidation.entry.policy.revalidatedPolicy(requestFor(key), {
      status: 304,
      headers,
    });
    // A 304 naming another validator is about some other answer: reusing ours could be wrong.
    if (modified || !matches) {
      this.entries.delete(key);
      return undefined;
    }
    revalidation.entry.policy = policy;
    revalidation.entry.freshUntil = freshUntil(policy, key);
    this.entries.set(key, revalidation.entry);
    return copyJson(revalidation.entry.value);
  }

  /**
   * Keeps a `200` answer when the service allows it to be reused or revalidated. `text`
   * must be valid JSON (the caller parsed it already); it is parsed again here, on this
   * miss only, so the caller's objects and the stored value are never the same.
   */
  store(key: string, headers: CachePolicy.Headers, text: string): void {
    // The common case for services that say nothing about caching: no policy to build.
    if (
      headers['cache-control'] === undefined &&
      headers.expires === undefined &&
      headers.etag === undefined &&
      headers['last-modified'] === undefined
    ) {
      this.entries.delete(key);
      return;
    }
    const policy = new CachePolicy(requestFor(key), { status: 200, headers }, POLICY_OPTIONS);
    const reusable = policy.storable() && (policy.timeToLive() > 0 || headers.etag !== undefined || headers['last-modified'] !== undefined);
    const value: unknown = reusable ? JSON.parse(text) : undefined;
    if (reusable && copyable(value)) this.entries.set(key, { policy, freshUntil: freshUntil(policy, key), value, chars: text.length });
    // An answer that may no longer be stored (now `no-store`) must not leave an old one behind.
    else this.entries.delete(key);
  }

  /** Stored answers, for metrics and tests. */
  get size(): number {
    return this.entries.size;
  }
}
