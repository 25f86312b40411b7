export { EMPTY_MANIFEST, ManifestError, parseManifest, type TrustedDocumentManifest } from './manifest.js';
export { TrustedDocumentErrorCode, trustedDocumentsMiddleware, type TrustedDocumentsMiddlewareOptions } from './middleware.js';
export { openTrustedDocumentStore, type TrustedDocumentStore, type TrustedDocumentStoreOptions } from './store.js';
