import { Kind, visit, type DocumentNode, type ValueNode } from 'graphql';
import { LIST_SIZES } from './list-sizes.js';

/** The arguments a cost can depend on besides the document: list sizes (and `@include`/`@skip`). */
const SIZE_ARGUMENTS: ReadonlySet<string> = new Set(Object.values(LIST_SIZES).map((s) => s.argument));

/** Costs remembered per document; past this the document's entries start over. */
const MAX_ENTRIES_PER_DOCUMENT = 32;

interface DocumentCosts {
  /** The variables the cost can depend on: those in size arguments and in directives. */
  readonly inputs: readonly string[];
  readonly costs: Map<string, number>;
}

/**
 * Remembers operation costs, so that pricing costs a lookup, not a walk of the document
 * with type information (about 60 µs for the dashboard), on the hot path of every
 * request. Keyed by the document object, which Apollo reuses from its cache of parsed
 * documents (and forgets with it: a WeakMap), then by the operation and the values of
 * just the variables the cost can depend on (a search's text is not one of them).
 */
export class CostCache {
  private readonly documents = new WeakMap<DocumentNode, DocumentCosts>();

  /** The cost remembered for this document, operation and variables, or computes and keeps it. */
  cost(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Readonly<Record<string, unknown>> | undefined,
    compute: () => number | undefined,
  ): number | undefined {
    let entry = this.documents.get(document);
    if (entry === undefined) {
      entry = { inputs: costInputs(document), costs: new Map() };
      this.documents.set(document, entry);
    }
    const vars = variables ?? {};
    // `[value]` when given, `[]` when not: an omitted variable (the default applies) and
    // an explicit null price differently.
    const key = `${operationName ?? ''}\n${JSON.stringify(entry.inputs.map((name) => (Object.hasOwn(vars, name) ? [vars[name]] : [])))}`;
    const known = entry.costs.get(key);
    if (known !== undefined) return known;
    const cost = compute();
    // Unpriceable variables are not remembered: execution refuses them anyway.
    if (cost !== undefined) {
      if (entry.costs.size >= MAX_ENTRIES_PER_DOCUMENT) entry.costs.clear();
      entry.costs.set(key, cost);
    }
    return cost;
  }
}

/** The variables used in size arguments of fields and in any directive's arguments, sorted. */
function costInputs(document: DocumentNode): string[] {
  const names = new Set<string>();
  const collect = (value: ValueNode) =>
    visit(value, {
      [Kind.VARIABLE]: (node) => {
        names.add(node.name.value);
      },
    });
  visit(document, {
    [Kind.FIELD]: (node) => {
      for (const arg of node.arguments ?? []) if (SIZE_ARGUMENTS.has(arg.name.value)) collect(arg.value);
    },
    [Kind.DIRECTIVE]: (node) => {
      for (const arg of node.arguments ?? []) collect(arg.value);
    },
  });
  return [...names].sort();
}
