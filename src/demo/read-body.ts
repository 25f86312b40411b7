import type { IncomingMessage } from 'node:http';

/** Thrown for a body over the limit; callers answer 413. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a request body into memory, refusing more than `limit` bytes. Returns undefined
 * when the stream was already consumed by a parser upstream (the caller may then look at
 * `req.body`), so the demo servers also work mounted behind `express.json()`.
 */
export async function readRawBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (!req.readable) return undefined;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > limit) throw new BodyTooLargeError(limit);
    chunks.push(buf);
  }
  return Buffer.concat(chunks, size);
}

/** An `application/x-www-form-urlencoded` body (flat), from the stream or an upstream parser. */
export async function readFormBody(req: IncomingMessage, limit = 16 * 1024): Promise<URLSearchParams> {
  const raw = await readRawBody(req, limit);
  if (raw !== undefined) return new URLSearchParams(raw.toString('utf8'));
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  const out = new URLSearchParams();
  if (parsed && typeof parsed === 'object') {
    for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') out.append(k, v);
  }
  return out;
}
