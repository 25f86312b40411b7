import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/index.js';
import { problemsOf } from '../../support/config-problems.js';
import { PRODUCTION_ENV } from '../../support/production-env.js';


describe('REDIS_PASSWORD', () => {
  it('is optional: no password, none in config', () => {
    expect(loadConfig(PRODUCTION_ENV).session.redisPassword).toBeUndefined();
  });

  it('is read as a file reference from REDIS_PASSWORD_FILE (a mounted secret)', () => {
    const config = loadConfig({ ...PRODUCTION_ENV, REDIS_PASSWORD_FILE: '/run/secrets/bff/redis_password' });
    expect(config.session.redisPassword).toEqual({ kind: 'file', path: '/run/secrets/bff/redis_password' });
  });

  it('is refused together with a password in REDIS_URL, naming both', () => {
    expect(problemsOf({ ...PRODUCTION_ENV, REDIS_URL: 'rediss://bff:pw@cache.example:6380', REDIS_PASSWORD: 'secret' })).toEqual([
      'REDIS_URL carries a password and REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is set too: give the password once',
    ]);
  });

  it('goes with a user name in REDIS_URL', () => {
    const config = loadConfig({ ...PRODUCTION_ENV, REDIS_URL: 'rediss://bff@cache.example:6380', REDIS_PASSWORD_FILE: '/run/p' });
    expect(config.session.redisPassword).toEqual({ kind: 'file', path: '/run/p' });
  });

  it('is refused without REDIS_URL, and as both the value and the file', () => {
    expect(problemsOf({ REDIS_PASSWORD: 'x' })).toEqual(['REDIS_PASSWORD (or REDIS_PASSWORD_FILE) is set but REDIS_URL is not']);
    expect(problemsOf({ ...PRODUCTION_ENV, REDIS_PASSWORD: 'x', REDIS_PASSWORD_FILE: '/run/p' })).toEqual([
      'REDIS_PASSWORD and REDIS_PASSWORD_FILE are both set: give only one',
    ]);
  });

  it('never appears in a problem message', () => {
    const problems = problemsOf({ ...PRODUCTION_ENV, REDIS_URL: 'rediss://u:url-password@cache.example', REDIS_PASSWORD: 'the-password-value' });
    expect(problems.join('\n')).not.toContain('the-password-value');
    expect(problems.join('\n')).not.toContain('url-password');
  });
});
