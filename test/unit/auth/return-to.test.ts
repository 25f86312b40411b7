import { describe, expect, it } from '@jest/globals';
import { safeReturnTo } from '../../../src/auth/return-to.js';

describe('safeReturnTo', () => {
  it.each([
    ['/', '/'],
    ['/orders', '/orders'],
    ['/ok?x=1', '/ok?x=1'],
    ['/ok?x=1#frag', '/ok?x=1#frag'],
    ['/a/b/../c', '/a/c'],
    ['/search?q=%2F%2Fevil.example', '/search?q=%2F%2Fevil.example'],
  ])('keeps the local path %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });

  it.each([
    ['protocol-relative', '//evil.example'],
    ['protocol-relative with path', '//evil.example/x'],
    ['backslash host', '/\\evil.example'],
    ['backslash anywhere', '/ok\\..\\x'],
    ['absolute https', 'https://evil.example'],
    ['absolute http', 'http://evil.example/'],
    ['javascript', 'javascript:alert(1)'],
    ['relative without slash', 'orders'],
    ['tab smuggling', '/\t/evil.example'],
    ['newline smuggling', '/\n/evil.example'],
    ['carriage return', '/ok\r\nSet-Cookie: x=1'],
    ['NUL', '/ok\u0000'],
    ['DEL', '/ok\u007f'],
    ['space', '/ ok'],
    ['line separator', '/ok\u2028'],
    ['dot segments to //', '/..//evil.example'],
    ['empty', ''],
    ['too long', `/${'a'.repeat(3000)}`],
  ])('falls back to / for %s', (_name, input) => {
    expect(safeReturnTo(input)).toBe('/');
  });

  it.each([[undefined], [null], [42], [['/a', '/b']], [{ x: 1 }]])('falls back to / for the non-string %j', (input) => {
    expect(safeReturnTo(input)).toBe('/');
  });
});
