import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { getOperationAST, getVariableValues, type DocumentNode, type GraphQLSchema } from 'graphql';
import { LIST_SIZES, type ListSize } from './list-sizes.js';

const SIZES: ReadonlyMap<string, ListSize> = new Map(Object.entries(LIST_SIZES));

/**
 * The weights: every field costs 1; a list field sized by an argument (`LIST_SIZES`)
 * costs 1 plus its subtree times the list's size. The size is the argument as the
 * operation will run it (literal, variable, or the schema's default), capped at the
 * maximum the resolver accepts (a larger one is refused with BAD_USER_INPUT anyway),
 * and that maximum when it is unknown. Lists without a size argument count once: their
 * length is bounded by their parent (`ProductConnection.nodes` by `first`) or by the
 * service (an order's lines).
 */
const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const size = SIZES.get(`${type.name}.${field.name}`);
  if (size === undefined) return 1 + childComplexity;
  return 1 + listSize(size, args[size.argument]) * childComplexity;
};

function listSize(size: ListSize, value: unknown): number {
  const n = size.kind === 'ids' ? (Array.isArray(value) ? value.length : undefined) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) return size.max;
  return Math.min(Math.max(n, 0), size.max);
}

export interface OperationCostOptions {
  /** The request's variables, as the client sent them. Default `{}`. */
  readonly variables?: Readonly<Record<string, unknown>> | undefined;
  /** Which operation of the document runs; needed when it holds more than one. */
  readonly operationName?: string | null | undefined;
}

/**
 * The estimated cost of the operation of `document` that would run, with the weights
 * above; compared to `GRAPHQL_MAX_COST`. Exported so that a test can price every
 * operation the clients send.
 *
 * Returns `undefined` when the variables cannot be coerced to the operation's types (a
 * required one missing, a wrong type): such an operation never reaches a resolver,
 * because execution refuses it with the variable's error first. Throws for a document
 * that is not valid against the schema (validate first).
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, opts: OperationCostOptions = {}): number | undefined {
  const operation = getOperationAST(document, opts.operationName ?? undefined);
  if (!operation) return undefined;
  const variables = (opts.variables ?? {}) as Record<string, unknown>;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables);
  if (coerced.errors) return undefined;
  return getComplexity({
    schema,
    query: document,
    variables,
    estimators: [estimator],
    ...(operation.name ? { operationName: operation.name.value } : {}),
  });
}
