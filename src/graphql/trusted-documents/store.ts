import type { Logger } from 'pino';
import type { TrustedDocumentsMode } from '../../config/index.js';
import { watchFile } from '../../secrets/index.js';
import { EMPTY_MANIFEST, ManifestError, parseManifest, type TrustedDocumentManifest } from './manifest.js';

/** The manifest in use, swapped for each good new version of the file. */
export interface TrustedDocumentStore {
  current(): TrustedDocumentManifest;
  close(): void;
}

export interface TrustedDocumentStoreOptions {
  readonly file: string;
  readonly mode: TrustedDocumentsMode;
  readonly logger: Logger;
  /** Whether the process runs in production (a warning when the list is not enforced there). */
  readonly production: boolean;
}

/**
 * Opens the manifest and keeps it current: the file is re-read when it changes (see
 * `watchFile`), and a version that cannot be parsed is logged and skipped, the last
 * good one staying in use, so a bad deploy of the file never fails a request.
 *
 * Under `enforce` a manifest that cannot be read or parsed at start-up throws a
 * `ManifestError` naming the file: with no list nothing could run. Otherwise the
 * BFF starts with an empty list and says so.
 */
export function openTrustedDocumentStore({ file, mode, logger, production }: TrustedDocumentStoreOptions): TrustedDocumentStore {
  const log = logger.child({ component: 'trusted-documents' });
  if (production && mode !== 'enforce') {
    log.warn({ mode }, 'GRAPHQL_TRUSTED_DOCUMENTS is not enforce: operations outside the manifest run in production');
  }
  try {
    const watched = watchFile(file, {
      parse: (text) => parseManifest(text, file),
      onChange: (manifest) => log.info({ file, documents: manifest.size }, 'trusted documents manifest reloaded'),
      onError: (err) => log.warn({ file, err: { message: err.message } }, 'trusted documents manifest not reloaded; the last good one stays in use'),
    });
    log.info({ file, mode, documents: watched.current().size }, 'trusted documents manifest loaded');
    return watched;
  } catch (err) {
    const message =
      err instanceof ManifestError ? err.message : `trusted documents manifest ${file} cannot be read: ${(err as Error).message}`;
    if (mode === 'enforce') {
      throw new ManifestError(`${message} (GRAPHQL_TRUSTED_DOCUMENTS=enforce needs it: run npm run codegen, or set GRAPHQL_TRUSTED_DOCUMENTS_FILE)`);
    }
    log.warn({ file, mode }, `${message}; every document counts as unlisted`);
    return { current: () => EMPTY_MANIFEST, close: () => {} };
  }
}
