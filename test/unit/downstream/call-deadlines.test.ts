import { describe, expect, it } from '@jest/globals';
import { CallDeadlines } from '../../../src/downstream/http/call-deadlines.js';

describe('CallDeadlines', () => {
  it("starts the service's clock with the first attempt, not when the call was queued", () => {
    let now = 1_000;
    const d = new CallDeadlines(() => now, 300, undefined, undefined);
    expect(d.deadline).toBeUndefined();
    now = 1_500; // waited in the bulkhead
    expect(d.nextAttempt(100)).toEqual({ started: 1_500, limitMs: 100, requestBound: false });
    expect(d.deadline).toBe(1_800);
    now = 1_750;
    // Only what is left of the service's own time, however long an attempt may be.
    expect(d.nextAttempt(100)).toEqual({ started: 1_750, limitMs: 50, requestBound: false });
  });

  it("lets a nearer request deadline bound the attempt, and says so", () => {
    const now = 1_000;
    const d = new CallDeadlines(() => now, 300, 1_080, undefined);
    expect(d.nextAttempt(100)).toEqual({ started: 1_000, limitMs: 80, requestBound: true });
    expect(d.deadline).toBe(1_080);
  });

  it('leaves no time once a deadline has passed', () => {
    const d = new CallDeadlines(() => 2_000, 300, 1_900, undefined);
    expect(d.nextAttempt(100).limitMs).toBeLessThanOrEqual(0);
  });
});
