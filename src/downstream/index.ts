/**
 * The shared downstream core: the HTTP client every service's client is built on
 * (`http/`: pooling, timeouts, retry, breaker, cache), the credentials made of a
 * server-held secret, and the errors. The services themselves (their clients, DTOs,
 * loaders and demo stand-ins) live in `src/services/<name>/`.
 */
export type { Credential, RenewOptions } from './credential.js';
export {
  apiKeyCredential,
  bearerSecretCredential,
  type SecretCredentialOptions,
  type SecretRotationOptions,
} from './secret-credential.js';
export { DownstreamCallBudget, DownstreamCallLimitError, DownstreamError, type DownstreamFailure } from './errors.js';
export type { ClientOptions, HttpTuning } from './http/client-options.js';
export { RESILIENCE_DEFAULTS, type CallBudget, type ResilienceOptions } from './http/resilience.js';
export type { ResponseCacheOptions } from './http/response-cache.js';
export type { CallOptions } from './http/service-http.js';
export type * from './types.js';
