import { describe, expect, it } from '@jest/globals';
import {
  checkBatchSize,
  chunk,
  encodeValue,
  fetchInBatches,
  listValue,
  path,
  pathSegment,
} from '../../../src/downstream/http/paths.js';

describe('pathSegment', () => {
  it.each([
    ['a/b', 'a%2Fb'],
    ['x?y', 'x%3Fy'],
    ['h#i', 'h%23i'],
    ['100%', '100%25'],
    ['..', '%2E%2E'],
    ['.', '%2E'],
    ['../admin', '..%2Fadmin'],
    ['käse ☕', 'k%C3%A4se%20%E2%98%95'],
  ])('keeps %j one segment (%s)', (id, encoded) => {
    expect(pathSegment(id)).toBe(encoded);
    expect(decodeURIComponent(pathSegment(id))).toBe(id);
  });

  it('refuses an empty segment, which would address the collection', () => {
    expect(() => pathSegment('')).toThrow(TypeError);
  });

  it('turns a lone surrogate into U+FFFD instead of throwing', () => {
    expect(() => encodeURIComponent('a\uD800')).toThrow(URIError);
    expect(pathSegment('a\uD800')).toBe('a%EF%BF%BD');
    // A valid pair is untouched.
    expect(decodeURIComponent(pathSegment('😀'))).toBe('😀');
  });
});

describe('path', () => {
  it('encodes every interpolated value and nothing else', () => {
    expect(path`/v1/payment_intents/${'../x'}`).toBe('/v1/payment_intents/..%2Fx');
    expect(path`/a/${'b c'}/c/${'..'}`).toBe('/a/b%20c/c/%2E%2E');
  });
});

describe('listValue', () => {
  it('encodes each id on its own and keeps the commas that separate them', () => {
    expect(listValue(['p1', 'c,d', 'a&ids=x', 'ü'])).toBe('p1,c%2Cd,a%26ids%3Dx,%C3%BC');
    // A server splits the raw value on its literal commas, then decodes each id.
    expect(listValue(['c,d', 'e/f', '..']).split(',').map(decodeURIComponent)).toEqual(['c,d', 'e/f', '..']);
  });
  it('is empty for no ids', () => {
    expect(listValue([])).toBe('');
  });
});

describe('encodeValue', () => {
  it('encodes query syntax', () => {
    expect(encodeValue('a b&c=d#e')).toBe('a%20b%26c%3Dd%23e');
  });
});

describe('chunk', () => {
  it('splits into chunks of at most size, in order', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 2)).toEqual([]);
  });
  it('refuses a size below 1', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe('checkBatchSize', () => {
  it('defaults to the contract limit of 100 and refuses more', () => {
    expect(checkBatchSize(undefined)).toBe(100);
    expect(checkBatchSize(7)).toBe(7);
    expect(() => checkBatchSize(101)).toThrow(RangeError);
    expect(() => checkBatchSize(0)).toThrow(RangeError);
    expect(() => checkBatchSize(1.5)).toThrow(RangeError);
  });
});

describe('fetchInBatches', () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `id${i}`);

  it('makes no call for no ids', async () => {
    const calls: Array<readonly string[]> = [];
    await expect(fetchInBatches([], 100, async (b) => (calls.push(b), []))).resolves.toEqual([]);
    expect(calls).toEqual([]);
  });

  it('makes one call up to the limit', async () => {
    const calls: Array<readonly string[]> = [];
    await fetchInBatches(ids(100), 100, async (b) => (calls.push(b), [...b]));
    expect(calls.map((b) => b.length)).toEqual([100]);
  });

  it('splits above the limit, runs the batches in parallel and merges their items', async () => {
    const calls: Array<readonly string[]> = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await fetchInBatches(ids(250), 100, async (b) => {
      calls.push(b);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return b.map((id) => ({ id }));
    });
    expect(calls.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(maxInFlight).toBe(3);
    expect(result.map((r) => r.id)).toEqual(ids(250));
  });

  it('fails as a whole when one batch fails', async () => {
    const boom = new Error('batch 2 failed');
    await expect(
      fetchInBatches(ids(150), 100, async (b) => {
        if (b[0] === 'id100') throw boom;
        return [...b];
      }),
    ).rejects.toBe(boom);
  });
});
