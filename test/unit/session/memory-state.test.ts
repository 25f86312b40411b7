import { describe, expect, it } from '@jest/globals';
import { createMemoryState } from '../../../src/session/memory-state.js';

describe('createMemoryState', () => {
  const clocked = () => {
    const clock = { t: 1_000_000 };
    return { clock, state: createMemoryState({ now: () => clock.t, sweepEvery: 2 }) };
  };

  it('expires keys by its clock', async () => {
    const { clock, state } = clocked();
    await state.set('k', 'v', 1000);
    expect(await state.ttlMs('k')).toBe(1000);
    clock.t += 999;
    expect(await state.get('k')).toBe('v');
    clock.t += 1;
    expect(await state.get('k')).toBeNull();
    expect(await state.ttlMs('k')).toBeNull();
  });

  it('compares and sets against the exact current value, or its absence', async () => {
    const { state } = clocked();
    expect(await state.compareAndSet('k', 'x', 'a', 1000)).toBe(false);
    expect(await state.compareAndSet('k', null, 'a', 1000)).toBe(true);
    expect(await state.compareAndSet('k', null, 'b', 1000)).toBe(false);
    expect(await state.compareAndSet('k', 'a', 'b', 1000)).toBe(true);
    expect(await state.get('k')).toBe('b');
  });

  it('sets if absent, and deletes only its own value', async () => {
    const { clock, state } = clocked();
    expect(await state.setIfAbsent('lock', 'me', 100)).toBe(true);
    expect(await state.setIfAbsent('lock', 'you', 100)).toBe(false);
    expect(await state.deleteIfEquals('lock', 'you')).toBe(false);
    expect(await state.deleteIfEquals('lock', 'me')).toBe(true);
    expect(await state.setIfAbsent('lock', 'you', 100)).toBe(true);
    clock.t += 100;
    expect(await state.setIfAbsent('lock', 'me', 100)).toBe(true);
  });

  it('pushes the expiry of existing keys only', async () => {
    const { clock, state } = clocked();
    await state.expire('none', 1000);
    expect(await state.get('none')).toBeNull();
    await state.set('k', 'v', 100);
    await state.expire('k', 5000);
    clock.t += 4000;
    expect(await state.get('k')).toBe('v');
  });

  it('keeps sets with an expiry, and drops them when emptied', async () => {
    const { clock, state } = clocked();
    await state.addToSet('s', 'a', 1000);
    await state.addToSet('s', 'b', 2000);
    expect((await state.members('s')).sort()).toEqual(['a', 'b']);
    await state.removeFromSet('s', 'a');
    expect(await state.members('s')).toEqual(['b']);
    clock.t += 2000;
    expect(await state.members('s')).toEqual([]);
    await state.addToSet('t', 'x', 1000);
    await state.removeFromSet('t', 'x');
    expect(await state.ttlMs('t')).toBeNull();
  });

  it('treats a zero or negative TTL as a delete', async () => {
    const { state } = clocked();
    await state.set('k', 'v', 1000);
    await state.set('k', 'v', 0);
    expect(await state.get('k')).toBeNull();
  });
});
