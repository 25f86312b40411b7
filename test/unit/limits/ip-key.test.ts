import { describe, expect, it } from '@jest/globals';
import { ipKey } from '../../../src/limits/rate-limits.js';

describe('ipKey: the unit an anonymous client is counted by', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['::FFFF:203.0.113.9', '203.0.113.9'],
    ['2001:db8:aa:1::1', '2001:db8:aa:1::/64'],
    ['2001:0db8:00aa:0001:ffff:0:0:9', '2001:db8:aa:1::/64'],
    ['2001:DB8:AA:1:1:2:3:4', '2001:db8:aa:1::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
  ])('%s counts as %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });

  it('puts two addresses of one /64 together and neighbouring networks apart', () => {
    expect(ipKey('2001:db8:aa:1::1')).toBe(ipKey('2001:db8:aa:1:ffff:ffff:ffff:ffff'));
    expect(ipKey('2001:db8:aa:1::1')).not.toBe(ipKey('2001:db8:aa:2::1'));
  });
});
