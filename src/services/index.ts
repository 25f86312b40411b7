/** The downstream services: the registry and what is derived from it. */
export { createDownstreamClients, type DownstreamClientsOptions } from './clients.js';
export type { ClientContext, DemoContext, DemoStandIn, LoaderContext, ServiceDefinition, ServiceSettings } from './definition.js';
export { defineService, urlSetting } from './definition.js';
export { createLoaders } from './loaders.js';
export { type AnyService, type ClientsOf, type DownstreamClients, type Loaders, type LoadersOf, SERVICES } from './registry.js';
export { SERVICE_SETTINGS } from './settings.js';
export * from './catalog/index.js';
export * from './orders/index.js';
export * from './payments/index.js';
export * from './reviews/index.js';
