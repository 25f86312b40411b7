import type { ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ParseOptions, type ValidationContext, type ValidationRule } from 'graphql';
import type { Config } from '../../config/index.js';
import { CostCache } from './cost-cache.js';
import { operationCost } from './cost.js';

export { operationCost, type OperationCostOptions } from './cost.js';
export { LIST_SIZES, type ListSize } from './list-sizes.js';

/**
 * The depth introspection may reach where it is on: the introspection queries of
 * Apollo Sandbox and GraphiQL (`getIntrospectionQuery()` with every option) nest 15
 * deep through `ofType`; the contract allows at most 20.
 */
export const INTROSPECTION_MAX_DEPTH = 20;

export interface OperationLimitsOptions {
  /** The bounds (`GRAPHQL_MAX_*`); the defaults are in `Config['operationLimits']`. */
  readonly limits: Config['operationLimits'];
  /**
   * Whether introspection is allowed: then `__schema` is bounded by
   * `INTROSPECTION_MAX_DEPTH` instead of `GRAPHQL_MAX_DEPTH` (`__type` counts like any
   * field). Without introspection Apollo refuses `__schema` outright.
   */
  readonly introspection: boolean;
}

/** What Apollo Server needs to enforce the limits; spread into its options. */
export interface OperationLimits {
  /** `GRAPHQL_MAX_TOKENS`: graphql-js stops parsing past it (GRAPHQL_PARSE_FAILED, 400). */
  readonly parseOptions: ParseOptions;
  /** Depth, aliases, directives: validation rules (GRAPHQL_VALIDATION_FAILED, 400). */
  readonly validationRules: ValidationRule[];
  /** The cost, which depends on the variables, so it is checked once they are known. */
  readonly plugin: ApolloServerPlugin;
}

/**
 * graphql-armor's rules throw out of `validate()` by default, which Apollo answers with
 * a 500; reported instead, the error becomes an ordinary validation error (400). The
 * rules prefix "Syntax Error: " although nothing is wrong with the syntax: dropped.
 */
const report = (setting: string) => ({
  propagateOnRejection: false,
  exposeLimits: true,
  onReject: [
    (ctx: ValidationContext | null, err: GraphQLError) =>
      ctx?.reportError(new GraphQLError(`${err.message.replace(/^Syntax Error: /, '').replace(/\.$/, '')} (${setting}).`)),
  ],
});

/**
 * The limits every operation is checked against before any resolver runs, in every
 * mode, for any document (trusted or not). Validation runs only when Apollo has not
 * cached the document yet, which is enough: the rules depend on the document alone.
 */
export function operationLimits({ limits, introspection }: OperationLimitsOptions): OperationLimits {
  const validationRules: ValidationRule[] = [
    // Fragments expanded: a spread costs no depth of its own, its selections do.
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...report('GRAPHQL_MAX_DEPTH') }),
    maxAliasesRule({ n: limits.maxAliases, ...report('GRAPHQL_MAX_ALIASES') }),
    maxDirectivesRule({ n: limits.maxDirectives, ...report('GRAPHQL_MAX_DIRECTIVES') }),
  ];
  if (introspection) {
    // The rule above skips `__schema`; this one bounds everything, introspection included.
    validationRules.push(
      maxDepthRule({ n: INTROSPECTION_MAX_DEPTH, flattenFragments: true, ignoreIntrospection: false, ...report('introspection depth') }),
    );
  }
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules,
    plugin: costPlugin(limits.maxCost),
  };
}

/** An operation refused by a limit: 400 and GRAPHQL_VALIDATION_FAILED, as the validation rules answer. */
function refused(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } });
}

/**
 * Refuses an operation whose estimated cost (`operationCost`) is above `maxCost`. Runs
 * in `didResolveOperation`: after validation, with the request's variables, before
 * execution. An error thrown there is answered with its `http.status`.
 */
function costPlugin(maxCost: number): ApolloServerPlugin {
  const cache = new CostCache();
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          let cost: number | undefined;
          try {
            const { variables } = request;
            cost = cache.cost(document, operationName, variables, () => operationCost(schema, document, { variables, operationName }));
          } catch (err) {
            // graphql-query-complexity's own bound on the nodes it visits (fragments
            // spread over and over): far past any cost we allow.
            if (err instanceof GraphQLError) throw refused(`Operation cost limit of ${maxCost} exceeded (GRAPHQL_MAX_COST).`);
            throw err;
          }
          if (cost !== undefined && cost > maxCost) {
            throw refused(`Operation cost limit of ${maxCost} exceeded, estimated ${cost} (GRAPHQL_MAX_COST).`);
          }
        },
      };
    },
  };
}
