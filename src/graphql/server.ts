import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../config/index.js';
import type { GraphQLContext } from './context.js';
import { createFormatError, type FormatErrorOptions } from './errors.js';
import { jitGateway } from './jit-executor.js';
import { EXPLORER_PATH } from './explorer.js';
import { sandboxLandingPage } from './landing-page.js';
import { operationLimits } from './limits/index.js';
import { errorLoggingPlugin } from './plugins/error-logging.js';
import { type OperationMetricsOptions, operationMetricsPlugin } from './plugins/operation-metrics.js';

export interface GraphQLServerOptions {
  schema: GraphQLSchema;
  config: Pick<Config, 'graphql' | 'operationLimits' | 'production'>;
  /** Drained on `stop()` (ApolloServerPluginDrainHttpServer): in-flight requests finish first. */
  httpServer?: Server;
  /** The services whose DOWNSTREAM_UNAVAILABLE wording errors carry. Default: the registry's. */
  services?: FormatErrorOptions['services'];
  /** Counts each operation and its errors (see `operationMetricsPlugin`). Default: not counted. */
  operationMetrics?: OperationMetricsOptions;
}

/**
 * Apollo Server with this BFF's policies: CSRF prevention on (it is by default; stated
 * here so nobody turns it off), no stack traces to clients, every error through
 * `formatError`, Sandbox and introspection only where the settings allow.
 */
export function createGraphQLServer({ schema, config, httpServer, services, operationMetrics }: GraphQLServerOptions): ApolloServer<GraphQLContext> {
  const limits = operationLimits({ limits: config.operationLimits, introspection: config.graphql.introspection });
  return new ApolloServer<GraphQLContext>({
    // graphql-jit runs only through Apollo's gateway interface (see jit-executor.ts).
    ...(config.graphql.executor === 'jit' ? { gateway: jitGateway({ schema }) } : { schema }),
    csrfPrevention: true,
    // Automatic persisted queries would let any request add a document to a cache that
    // later runs it by hash. Ids are resolved from the trusted-documents manifest
    // instead, before Apollo (see trusted-documents/), in every mode.
    persistedQueries: false,
    // An array of operations in one request would multiply every limit: stays off.
    allowBatchedHttpRequests: false,
    parseOptions: limits.parseOptions,
    validationRules: limits.validationRules,
    introspection: config.graphql.introspection,
    includeStacktraceInErrorResponses: false,
    // bff.ts owns shutdown (readiness off, drain HTTP, stop Apollo, close pools); Apollo's
    // own SIGTERM handler would race it and leave our stop() waiting forever.
    stopOnTerminationSignals: false,
    formatError: createFormatError({ production: config.production, services }),
    plugins: [
      // Installed by default, it wraps every resolver and runs a hook on every field to
      // compute cache hints this schema does not have (9 % of the dashboard's CPU, a
      // quarter of its allocation). Every answer is user-scoped or short-lived, so app.ts
      // marks them all `no-store`, as the plugin did.
      ApolloServerPluginCacheControlDisabled(),
      ...(httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer })] : []),
      limits.plugin,
      errorLoggingPlugin(),
      ...(operationMetrics ? [operationMetricsPlugin(operationMetrics)] : []),
      // Sandbox sends the session cookie and links to the self-hosted explorer (landing-page.ts).
      config.graphql.sandbox ? sandboxLandingPage({ explorerPath: EXPLORER_PATH }) : ApolloServerPluginLandingPageDisabled(),
      // "Did you mean …?" would reveal the schema that disabled introspection hides.
      ...(config.graphql.introspection ? [] : [ApolloServerPluginDisableSuggestions()]),
    ],
  });
}
