import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { readRuntime, v8FlagsFor } from '../../../src/config/runtime.js';
import { problemsOf } from '../../support/config-problems.js';

const read = (env: Record<string, string>) => {
  const problems: string[] = [];
  return { ...readRuntime(env, problems), problems };
};

describe('runtime settings (HEAP_GROWTH_PERCENT)', () => {
  it('lets the heap double between full collections by default', () => {
    expect(read({})).toEqual({ heapGrowthPercent: 100, problems: [] });
    expect(loadConfig({}).runtime).toEqual({ heapGrowthPercent: 100 });
    expect(v8FlagsFor({ heapGrowthPercent: 100 }, [])).toEqual(['--heap-growing-percent=100']);
  });

  it('takes a whole number, and 0 leaves V8 its own heuristic', () => {
    expect(read({ HEAP_GROWTH_PERCENT: '40' })).toEqual({ heapGrowthPercent: 40, problems: [] });
    expect(v8FlagsFor(read({ HEAP_GROWTH_PERCENT: '40' }), [])).toEqual(['--heap-growing-percent=40']);
    expect(read({ HEAP_GROWTH_PERCENT: '0' })).toEqual({ heapGrowthPercent: 0, problems: [] });
    expect(v8FlagsFor({ heapGrowthPercent: 0 }, [])).toEqual([]);
  });

  it('never overrides the flag given on the command line', () => {
    expect(v8FlagsFor({ heapGrowthPercent: 100 }, ['--heap-growing-percent=30'])).toEqual([]);
    expect(v8FlagsFor({ heapGrowthPercent: 100 }, ['--heap_growing_percent=30'])).toEqual([]);
    expect(v8FlagsFor({ heapGrowthPercent: 100 }, ['--heap-growing-percent-other'])).toEqual(['--heap-growing-percent=100']);
  });

  it('refuses anything else, naming the setting, with every other problem', () => {
    expect(read({ HEAP_GROWTH_PERCENT: '-5' }).problems).toEqual(["HEAP_GROWTH_PERCENT: must be a whole number (0 for V8's own heuristic)"]);
    expect(read({ HEAP_GROWTH_PERCENT: '1.5' }).problems).toEqual(["HEAP_GROWTH_PERCENT: must be a whole number (0 for V8's own heuristic)"]);
    expect(read({ HEAP_GROWTH_PERCENT: '401' }).problems).toEqual(["HEAP_GROWTH_PERCENT: must be at most 400 (0 for V8's own heuristic)"]);
    expect(problemsOf({ HEAP_GROWTH_PERCENT: 'lots', PORT: 'x' })).toEqual(
      expect.arrayContaining(["HEAP_GROWTH_PERCENT: must be a whole number (0 for V8's own heuristic)", expect.stringContaining('PORT')]),
    );
  });
});
