import { describe, expect, it } from '@jest/globals';
import { alignToKeys } from '../../../src/services/align.js';

describe('alignToKeys', () => {
  it('returns one slot per key, in key order, null for absent ids, duplicates filled', () => {
    const items = [{ id: 'b' }, { id: 'a' }];
    expect(alignToKeys(['a', 'x', 'b', 'a'], items, (i) => i.id)).toEqual([{ id: 'a' }, null, { id: 'b' }, { id: 'a' }]);
  });
  it('ignores items nobody asked for', () => {
    expect(alignToKeys(['a'], [{ id: 'z' }], (i) => i.id)).toEqual([null]);
  });
});
