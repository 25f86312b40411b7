import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { TrustedDocumentsMode } from '../../config/index.js';
import { DOCUMENT_ID, sha256Hex } from './manifest.js';
import type { TrustedDocumentStore } from './store.js';

/** Codes of the refusals; the first two are the clients' contract. */
export const TrustedDocumentErrorCode = {
  /** A well-formed id that is not in the manifest (Apollo's link then retries with the text). */
  NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** A document that is not in the manifest, under `enforce`. */
  REQUIRED: 'TRUSTED_DOCUMENT_REQUIRED',
  /** A malformed id, an APQ version other than 1, an id that is not the hash of the text sent with it. */
  BAD_REQUEST: 'BAD_REQUEST',
} as const;

export interface TrustedDocumentsMiddlewareOptions {
  readonly store: TrustedDocumentStore;
  readonly mode: TrustedDocumentsMode;
  readonly logger: Logger;
}

/** What a GraphQL-over-HTTP request names, from a POST body or GET parameters. */
interface Params {
  readonly query: unknown;
  readonly documentId: unknown;
  readonly extensions: unknown;
  readonly operationName: unknown;
}

type Outcome =
  | { readonly kind: 'pass' }
  /** Run this text: the id fields are dropped, since Apollo's APQ is off and would refuse them. */
  | { readonly kind: 'run'; readonly query: string }
  | { readonly kind: 'refuse'; readonly code: string; readonly message: string };

const PASS: Outcome = { kind: 'pass' };
const APQ_HASH = /^[0-9a-f]{64}$/;

/**
 * Resolves trusted documents before Apollo Server sees the request, so a refused
 * request is never parsed, validated or executed and reaches no downstream service.
 * Mount it on `/graphql` after `express.json()` and before `expressMiddleware`.
 *
 * A client names a listed document by `documentId: "sha256:<hex>"`, by Apollo's APQ
 * `extensions.persistedQuery { version: 1, sha256Hash: "<hex>" }`, or by sending its
 * exact text as `query`, in a POST body or GET parameters. An id is replaced by the
 * listed text. Nothing is ever added to the list (Apollo's APQ cache is off).
 *
 * - `enforce`: an unknown id is `PERSISTED_QUERY_NOT_FOUND`; any text that is not a
 *   listed document (ad hoc, an APQ registration, a listed id with other text) is
 *   `TRUSTED_DOCUMENT_REQUIRED`.
 * - `log`: unlisted text runs and is logged (operation name and hash, never
 *   variables); an id-only request for an unknown id is still `PERSISTED_QUERY_NOT_FOUND`
 *   so Apollo's link retries with the text, and an id sent with text must be its hash.
 * - `off`: listed ids are resolved; text is not looked up.
 *
 * Malformed ids are `BAD_REQUEST` in every mode. Every refusal is HTTP 400 with one error.
 */
export function trustedDocumentsMiddleware({ store, mode, logger }: TrustedDocumentsMiddlewareOptions): RequestHandler {
  const log = logger.child({ component: 'trusted-documents' });

  const decide = (params: Params, requestId: unknown): Outcome => {
    const id = readId(params);
    if (id.kind === 'refuse') return id;
    const text = typeof params.query === 'string' ? params.query : undefined;
    const manifest = store.current();

    if (id.kind === 'id') {
      const listed = manifest.get(id.hex);
      if (text === undefined) {
        return listed === undefined
          ? refuse('NOT_FOUND', 'No trusted document has this id. Send a listed operation (see npm run codegen).')
          : { kind: 'run', query: listed };
      }
      if (text === listed) return { kind: 'run', query: listed };
      if (mode === 'enforce') return refuse('REQUIRED', 'Only the operations listed in the trusted documents manifest may run.');
      if (sha256Hex(text) !== id.hex) return refuse('BAD_REQUEST', 'The document id is not the SHA-256 of the query sent with it.');
      if (mode === 'log') logUnlisted(params, text, id.hex, requestId);
      return { kind: 'run', query: text };
    }

    // No id: ad-hoc text, or no document at all (Apollo answers that one).
    if (text === undefined || mode === 'off') return PASS;
    const hex = sha256Hex(text);
    if (manifest.get(hex) === text) return PASS;
    if (mode === 'enforce') return refuse('REQUIRED', 'Only the operations listed in the trusted documents manifest may run.');
    logUnlisted(params, text, hex, requestId);
    return PASS;
  };

  const logUnlisted = (params: Params, text: string, hex: string, requestId: unknown) => {
    log.info({ requestId, operationName: operationNameOf(params, text), documentHash: hex }, 'unlisted GraphQL document ran');
  };

  return (req, res, next) => {
    if (req.method === 'POST') {
      const body: unknown = req.body;
      // Batches and bodies express.json did not parse are Apollo's to refuse.
      if (!isRecord(body)) return next();
      const outcome = decide(
        { query: body.query, documentId: body.documentId, extensions: body.extensions, operationName: body.operationName },
        res.locals.requestId,
      );
      if (outcome.kind === 'refuse') return sendRefusal(res, outcome);
      if (outcome.kind === 'run') {
        const { documentId: _id, extensions, ...rest } = body;
        const kept = withoutPersistedQuery(extensions);
        req.body = { ...rest, query: outcome.query, ...(kept === undefined ? {} : { extensions: kept }) };
      }
      return next();
    }
    if (req.method === 'GET') {
      const [path, search = ''] = splitUrl(req);
      const query = new URLSearchParams(search);
      // Apollo reads `extensions` (and `variables`) from the query string as JSON.
      let extensions: unknown;
      const rawExtensions = query.get('extensions');
      if (rawExtensions !== null) {
        try {
          extensions = JSON.parse(rawExtensions);
        } catch {
          return sendRefusal(res, refuse('BAD_REQUEST', 'The extensions parameter is not valid JSON.'));
        }
      }
      const outcome = decide(
        { query: query.get('query') ?? undefined, documentId: query.get('documentId') ?? undefined, extensions, operationName: query.get('operationName') ?? undefined },
        res.locals.requestId,
      );
      if (outcome.kind === 'refuse') return sendRefusal(res, outcome);
      if (outcome.kind === 'run') {
        query.set('query', outcome.query);
        query.delete('documentId');
        const kept = withoutPersistedQuery(extensions);
        if (kept === undefined) query.delete('extensions');
        else query.set('extensions', JSON.stringify(kept));
        // The express integration hands Apollo `req.url`'s search string.
        req.url = `${path}?${query.toString()}`;
      }
      return next();
    }
    return next();
  };
}

type IdOutcome = { readonly kind: 'none' } | { readonly kind: 'id'; readonly hex: string } | Extract<Outcome, { kind: 'refuse' }>;

/** The document id a request names, by `documentId` or APQ; both must agree when both are sent. */
function readId(params: Params): IdOutcome {
  let hex: string | undefined;
  if (params.documentId !== undefined) {
    const match = typeof params.documentId === 'string' ? DOCUMENT_ID.exec(params.documentId) : null;
    if (!match) return refuse('BAD_REQUEST', 'documentId must be "sha256:" followed by 64 lowercase hex digits.');
    hex = match[1]!;
  }
  const apq = isRecord(params.extensions) ? params.extensions.persistedQuery : undefined;
  if (apq !== undefined) {
    if (!isRecord(apq) || apq.version !== 1) return refuse('BAD_REQUEST', 'Unsupported persisted query version: extensions.persistedQuery.version must be 1.');
    if (typeof apq.sha256Hash !== 'string' || !APQ_HASH.test(apq.sha256Hash)) {
      return refuse('BAD_REQUEST', 'extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits.');
    }
    if (hex !== undefined && hex !== apq.sha256Hash) {
      return refuse('BAD_REQUEST', 'documentId and extensions.persistedQuery name different documents.');
    }
    hex = apq.sha256Hash;
  }
  return hex === undefined ? { kind: 'none' } : { kind: 'id', hex };
}

function refuse(code: keyof typeof TrustedDocumentErrorCode, message: string): Extract<Outcome, { kind: 'refuse' }> {
  return { kind: 'refuse', code: TrustedDocumentErrorCode[code], message };
}

function sendRefusal(res: Response, { code, message }: { code: string; message: string }): void {
  res.status(400).json({ errors: [{ message, extensions: { code } }] });
}

/** `extensions` without `persistedQuery`; undefined when nothing else is left. */
function withoutPersistedQuery(extensions: unknown): unknown {
  if (!isRecord(extensions)) return extensions;
  const { persistedQuery: _pq, ...rest } = extensions;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

const MAX_LOGGED_NAME = 100;
const OPERATION_NAME = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/** The operation's name for the log: the request's `operationName`, else the document's first. */
function operationNameOf(params: Params, text: string): string | null {
  if (typeof params.operationName === 'string') return params.operationName.slice(0, MAX_LOGGED_NAME);
  return OPERATION_NAME.exec(text.slice(0, 1000))?.[1]?.slice(0, MAX_LOGGED_NAME) ?? null;
}

function splitUrl(req: Request): [string, string | undefined] {
  const at = req.url.indexOf('?');
  return at === -1 ? [req.url, undefined] : [req.url.slice(0, at), req.url.slice(at + 1)];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
