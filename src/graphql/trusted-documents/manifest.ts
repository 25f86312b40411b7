import { createHash } from 'node:crypto';
import { Kind, parse } from 'graphql';

/**
 * The trusted documents: what graphql-codegen's client preset writes with
 * `persistedDocuments: true`, `{ "sha256:<hex>": "<document text>" }`, held by hex.
 */
export interface TrustedDocumentManifest {
  /** The listed text for a SHA-256 in lowercase hex (the id without `sha256:`). */
  get(hex: string): string | undefined;
  readonly size: number;
  /** The names of the listed operations: the only `operation` labels of the metrics besides `other`. */
  readonly operationNames: ReadonlySet<string>;
}

/** A manifest that cannot be used; the message names the file and the entry. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** `sha256:` and 64 lowercase hex digits: the GraphQL-over-HTTP persisted-document id. */
export const DOCUMENT_ID = /^sha256:([0-9a-f]{64})$/;

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Parses and checks a manifest. Every key must be a `sha256:` id and every value the
 * text that id is the hash of: a hand-edited entry whose text no longer matches its
 * id would otherwise let one id run another document. `source` names the file in errors.
 */
export function parseManifest(text: string, source: string): TrustedDocumentManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ManifestError(`trusted documents manifest ${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ManifestError(`trusted documents manifest ${source} must be a JSON object of "sha256:<hex>": "<document>"`);
  }
  const byHex = new Map<string, string>();
  for (const [id, document] of Object.entries(json)) {
    const hex = DOCUMENT_ID.exec(id)?.[1];
    if (hex === undefined) {
      throw new ManifestError(`trusted documents manifest ${source}: key ${JSON.stringify(id.slice(0, 80))} is not "sha256:" and 64 lowercase hex digits`);
    }
    if (typeof document !== 'string' || document.length === 0) {
      throw new ManifestError(`trusted documents manifest ${source}: ${id} must map to the document's text`);
    }
    if (sha256Hex(document) !== hex) {
      throw new ManifestError(`trusted documents manifest ${source}: ${id} is not the SHA-256 of its document`);
    }
    byHex.set(hex, document);
  }
  return { get: (hex) => byHex.get(hex), size: byHex.size, operationNames: operationNamesOf(byHex.values()) };
}

/** Named operations of the documents; a document that does not parse names none (it fails when run). */
function operationNamesOf(documents: Iterable<string>): ReadonlySet<string> {
  const names = new Set<string>();
  for (const text of documents) {
    try {
      for (const def of parse(text, { noLocation: true }).definitions) {
        if (def.kind === Kind.OPERATION_DEFINITION && def.name) names.add(def.name.value);
      }
    } catch {
      // Listed but unparsable: Apollo answers it with a syntax error, under `other`.
    }
  }
  return names;
}

/** Lists nothing: where no manifest could be read outside `enforce`. */
export const EMPTY_MANIFEST: TrustedDocumentManifest = { get: () => undefined, size: 0, operationNames: new Set() };
