import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { CostCache } from '../../../src/graphql/limits/cost-cache.js';

/** The cache of operation costs: priced once per document and size inputs, never for another input. */
describe('CostCache', () => {
  const search = parse('query S($q: String!, $n: Int, $r: Boolean!) { searchProducts(query: $q, first: $n) @include(if: $r) { nodes { id } } }');

  function counting() {
    let computed = 0;
    const cache = new CostCache();
    // `null`: the compute step cannot price the variables.
    const price = (variables: Record<string, unknown> | undefined, result: number | null = 7, doc = search) =>
      cache.cost(doc, 'S', variables, () => {
        computed += 1;
        return result ?? undefined;
      });
    return { price, computed: () => computed };
  }

  it('prices a document once for the same size inputs, whatever the other variables', () => {
    const { price, computed } = counting();
    expect(price({ q: 'cup', n: 5, r: true })).toBe(7);
    expect(price({ q: 'mug', n: 5, r: true })).toBe(7);
    expect(computed()).toBe(1);
  });

  it('prices again when a size or a directive variable differs', () => {
    const { price, computed } = counting();
    price({ q: 'cup', n: 5, r: true });
    price({ q: 'cup', n: 6, r: true });
    price({ q: 'cup', n: 5, r: false });
    expect(computed()).toBe(3);
  });

  it('tells an omitted variable (the default applies) from an explicit null', () => {
    const { price, computed } = counting();
    price({ q: 'cup', r: true });
    price({ q: 'cup', n: null, r: true });
    price(undefined);
    expect(computed()).toBe(3);
  });

  it('keeps nothing for variables that cannot be priced', () => {
    const { price, computed } = counting();
    expect(price({ n: 'many' }, null)).toBeUndefined();
    expect(price({ n: 'many' }, null)).toBeUndefined();
    expect(computed()).toBe(2);
  });

  it('keys by the document object and the operation', () => {
    const { price, computed } = counting();
    price({ n: 5 });
    price({ n: 5 }, 7, parse('query S($n: Int) { searchProducts(query: "x", first: $n) { nodes { id } } }'));
    expect(computed()).toBe(2);
  });
});
