import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';

/** Helpers for one exchange with undici: the abort handle and reading bodies. */

/**
 * The abort handle undici gets for one exchange. undici takes an EventEmitter as its
 * `signal` as well as an AbortSignal, and listening on an emitter costs a fraction of an
 * EventTarget's `addEventListener`: this is on every call's path.
 */
export class Abort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** `application/json` or any `+json` type, parameters ignored. */
export function isJson(contentType: string | string[] | undefined): boolean {
  if (typeof contentType !== 'string') return false;
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Reads and drops a body so the socket goes back to the pool (undici needs every body consumed). */
export async function discard(res: Dispatcher.ResponseData): Promise<void> {
  try {
    await res.body.dump();
  } catch {
    // The socket is closed instead; nothing to report.
  }
}

/** A path for the logs: ids lists in the query are long and say nothing about the failure. */
export function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}
