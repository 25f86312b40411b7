import type { Dispatcher } from 'undici';
import type { ServiceName } from '../../config/index.js';
import type { Logger } from '../../observability/logger.js';
import { logCredentialRefused, logMissingEndpoint } from './answer-log.js';
import type { HttpCall } from './call.js';
import { missingEndpoint, statusError, unusableBody } from './outcomes.js';
import { parseRetryAfter } from './retry-after.js';
import { discard, isJson } from './wire.js';

/**
 * Turns one service's answer into the call's result: the parsed JSON of a 2xx
 * (`undefined` for 204), or a thrown `DownstreamError` (see `outcomes.ts`). Every body
 * is consumed, so the socket goes back to the pool.
 */
export class AnswerReader {
  constructor(
    private readonly service: ServiceName,
    private readonly logger: Logger,
    /** For `Retry-After` dates. */
    private readonly now: () => number,
  ) {}

  async read<T>(res: Dispatcher.ResponseData, call: HttpCall): Promise<T> {
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      if (status === 204) {
        await discard(res);
        return undefined as T;
      }
      await this.expectJson(res);
      try {
        return (await res.body.json()) as T;
      } catch (err) {
        // The parser's message quotes the body (which may hold secrets): keep none of it.
        if (err instanceof SyntaxError) throw this.invalidJson(status);
        throw err;
      }
    }
    return this.fail(res, call);
  }

  /** Throws (after consuming the body) unless the answer says it is JSON. */
  async expectJson(res: Dispatcher.ResponseData): Promise<void> {
    if (isJson(res.headers['content-type'])) return;
    await discard(res);
    throw unusableBody(this.service, res.statusCode, 'the answer is not JSON');
  }

  /** The error for a 2xx whose body does not parse. */
  invalidJson(status: number): Error {
    return unusableBody(this.service, status, 'the answer is invalid JSON');
  }

  /** Reads what is useful of an error answer, logs what an operator must know, and throws. */
  private async fail(res: Dispatcher.ResponseData, call: HttpCall): Promise<never> {
    const status = res.statusCode;
    let errorBody: unknown;
    if ((status === 400 || status === 422) && isJson(res.headers['content-type'])) {
      try {
        errorBody = await res.body.json();
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
      }
    } else {
      await discard(res);
    }
    if (status === 401 || status === 403) logCredentialRefused(this.logger, this.service, status, call);
    if (status === 404 && call.collection === true) {
      logMissingEndpoint(this.logger, this.service, status, call);
      throw missingEndpoint(this.service);
    }
    const retryAfter = status === 503 || status === 429 ? parseRetryAfter(res.headers['retry-after'], this.now()) : undefined;
    throw statusError(this.service, status, errorBody, retryAfter);
  }
}
