import type { ServiceClient } from './definition.js';
import type { LoaderContext } from './definition.js';
import { type AnyService, type Loaders, SERVICES } from './registry.js';

/**
 * One set of loaders per GraphQL request, every service's merged: their caches hold
 * user-scoped data and must never outlive the request. Each `load()` made in the same
 * tick becomes one downstream call.
 */
export function createLoaders(
  clients: Readonly<Record<string, ServiceClient>>,
  ctx: LoaderContext,
  services: readonly AnyService[] = SERVICES,
): Loaders {
  const loaders: Record<string, unknown> = {};
  for (const service of services) {
    for (const [name, loader] of Object.entries(service.createLoaders(clients[service.name], ctx))) {
      // Impossible once the registry's types check, but a clash would silently hide a loader.
      if (name in loaders) throw new Error(`two services define the loader "${name}"`);
      loaders[name] = loader;
    }
  }
  return loaders as Loaders;
}
