import { describe, expect, it } from '@jest/globals';
import { copyJson } from '../../../src/downstream/http/json-copy.js';

describe('copyJson', () => {
  it('copies parsed JSON deeply: equal, and sharing no object or array', () => {
    const original = JSON.parse('{"items":[{"id":"p1","price":{"amount":1299,"currency":"EUR"},"tags":["a",null,true,1.5]}],"next":null}');
    const copy = copyJson(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.items).not.toBe(original.items);
    expect(copy.items[0]).not.toBe(original.items[0]);
    expect(copy.items[0].price).not.toBe(original.items[0].price);
    copy.items[0].price.amount = 1;
    copy.items.pop();
    expect(original.items[0].price.amount).toBe(1299);
  });

  it('keeps a "__proto__" key as an own property, never as the prototype', () => {
    const original = JSON.parse('{"__proto__":{"polluted":true},"a":1}');
    const copy = copyJson(original) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(copy)).toEqual(['__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('returns primitives as they are', () => {
    for (const v of ['x', 1, true, null]) expect(copyJson(v)).toBe(v);
  });
});
