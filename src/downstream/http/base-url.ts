import type { ServiceName } from '../../config/index.js';

/**
 * Splits a configured base URL into the pool's origin and a path prefix. Refuses what
 * has no place in it: another scheme, a query or fragment (paths are appended), and
 * `user:password@` (credentials belong in a `Credential`, never in a URL that gets logged).
 * Errors name the service, never the URL.
 */
export function parseBaseUrl(service: ServiceName, baseUrl: string): { origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`${service}: the base URL is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${service}: the base URL must be http:// or https://`);
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new TypeError(`${service}: the base URL must not carry credentials, a query or a fragment`);
  }
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}
