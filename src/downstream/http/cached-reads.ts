import type { Dispatcher } from 'undici';
import type { ServiceName } from '../../config/index.js';
import type { AnswerReader } from './answer-reader.js';
import type { HttpCall } from './call.js';
import { unusableBody } from './outcomes.js';
import { ResponseCache, type ResponseCacheOptions, type Revalidation } from './response-cache.js';
import { discard } from './wire.js';

/**
 * The shared-cache path of one service's calls: which calls may use the cache, a fresh
 * hit, the conditional headers of a revalidation, and reading an answer so it can be
 * stored (the cache keeps its own parsed copy) or a `304` reuses what is stored.
 */
export class CachedReads {
  readonly #cache: ResponseCache;

  constructor(
    private readonly service: ServiceName,
    options: ResponseCacheOptions,
    private readonly reader: AnswerReader,
  ) {
    this.#cache = new ResponseCache(options);
  }

  /**
   * Shared caching only with the service's own credential: a user's call never reads or
   * fills the cache, whatever the service's headers say.
   */
  static applies(call: HttpCall): boolean {
    return call.method === 'GET' && call.credential === undefined;
  }

  /** A fresh stored answer for the call, or undefined when the network must be asked. */
  fresh(call: HttpCall): unknown {
    return this.#cache.fresh(call.path);
  }

  /** The conditional headers to send for a stale stored answer, or undefined. */
  revalidation(call: HttpCall): Revalidation | undefined {
    return this.#cache.revalidation(call.path);
  }

  /** `AnswerReader.read` for a call the cache may answer: hands the body text to the cache, handles 304. */
  async read<T>(res: Dispatcher.ResponseData, call: HttpCall, revalidation: Revalidation | undefined): Promise<T> {
    const status = res.statusCode;
    if (status === 304 && revalidation !== undefined) {
      await discard(res);
      const value = this.#cache.notModified(call.path, revalidation, res.headers);
      // The stored entry is gone now, so the retry fetches without conditions.
      if (value === undefined) throw unusableBody(this.service, status, 'a 304 that matches nothing stored');
      return value as T;
    }
    if (status !== 200) return this.reader.read<T>(res, call);
    await this.reader.expectJson(res);
    const text = await res.body.text();
    let value: T;
    try {
      value = JSON.parse(text) as T;
    } catch {
      throw this.reader.invalidJson(status);
    }
    this.#cache.store(call.path, res.headers, text);
    return value;
  }

  /** Stored answers. */
  get size(): number {
    return this.#cache.size;
  }
}
