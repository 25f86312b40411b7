import { expect } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/config/index.js';

/**
 * The problems a config loader (default: `loadConfig`) reports for `env`; fails the test
 * when it does not throw, or throws anything but a `ConfigError`.
 */
export function problemsOf(env: Record<string, string>, load: (env: Record<string, string>) => unknown = loadConfig): readonly string[] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected ${load.name || 'the config loader'} to throw`);
}
