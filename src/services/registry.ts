import type { ServiceName } from '../config/index.js';
import { catalog } from './catalog/index.js';
import type { ServiceDefinition } from './definition.js';
import { orders } from './orders/index.js';
import { payments } from './payments/index.js';
import { reviews } from './reviews/index.js';

/**
 * The downstream services, each described once in its own folder. Config, secrets, the
 * clients, the loaders of the GraphQL context, the demo start-up and the test stack are
 * derived from this list; adding a service is a folder plus one line here and one in
 * `settings.ts` (its pure-data half, which config reads). See README, "Adding a
 * downstream service".
 */
export const SERVICES = [catalog, orders, reviews, payments] as const;

/** Any service definition, whatever its client and loaders. */
export type AnyService = ServiceDefinition<string, any, any>;

/** One client per service, keyed by name, typed by each definition's `createClient`. */
export type ClientsOf<S extends readonly AnyService[]> = {
  readonly [D in S[number] as D['name']]: ReturnType<D['createClient']>;
};

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every service's loaders, merged into one object (their names must not clash). */
export type LoadersOf<S extends readonly AnyService[]> = UnionToIntersection<ReturnType<S[number]['createLoaders']>>;

/** The registry's clients, created once per process; each owns one keep-alive pool. */
export type DownstreamClients = ClientsOf<typeof SERVICES> & {
  /** Closes every pool (after the calls in flight), for a graceful shutdown. */
  close(): Promise<void>;
};

/** The loaders of one GraphQL request (`ctx.loaders`). */
export type Loaders = LoadersOf<typeof SERVICES>;

// The two halves of the registry name the same services (settings.ts is what config reads).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatch: Same<(typeof SERVICES)[number]['name'], ServiceName> = true;
void namesMatch;
