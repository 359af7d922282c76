import { describe, expect, it } from 'vitest';
import { homeFor, needsSignIn, safeNextPath, sectionsFor } from '../src/lib/access';

describe('access', () => {
  it('starts each role where its work is', () => {
    expect(homeFor('operator')).toBe('/ops');
    expect(homeFor('admin')).toBe('/ops');
    expect(homeFor('agent')).toBe('/service');
    expect(homeFor('customer')).toBe('/usage');
  });

  it('shows a customer only their usage and the status page', () => {
    expect(sectionsFor('customer').map((section) => section.href)).toEqual(['/usage', '/status']);
    expect(sectionsFor(null).map((section) => section.href)).toEqual(['/status']);
  });

  it('asks for sign-in under protected sections only', () => {
    expect(needsSignIn('/ops')).toBe(true);
    expect(needsSignIn('/ops/pipeline')).toBe(true);
    expect(needsSignIn('/opsx')).toBe(false);
    expect(needsSignIn('/status')).toBe(false);
    expect(needsSignIn('/sign-in')).toBe(false);
  });

  it('accepts only same-site paths as the place to return to after sign-in', () => {
    expect(safeNextPath('/ops?day=2026-01-01')).toBe('/ops?day=2026-01-01');
    expect(safeNextPath('/service/meters/M-1#history')).toBe('/service/meters/M-1#history');
    expect(safeNextPath('//evil.example/')).toBeNull();
    expect(safeNextPath('/\\evil.example')).toBeNull();
    expect(safeNextPath('https://evil.example/')).toBeNull();
    expect(safeNextPath(['/ops'])).toBeNull();
    expect(safeNextPath(undefined)).toBeNull();
  });

  // What `?next=` decodes to when an attacker writes %09, %0D%0A or %5C into the sign-in link: browsers
  // drop tab, CR and LF from a URL and read a backslash as a slash, so each of these names another host.
  it.each([
    ['a tab between the slashes', '/\t/evil.example'],
    ['CR LF between the slashes', '/\r\n/evil.example'],
    ['a line feed between the slashes', '/\n/evil.example'],
    ['a backslash after the slash', '/\\evil'],
    ['a tab before a backslash', '/\t\\evil.example'],
    ['a protocol-relative URL', '//evil'],
    ['an absolute URL', 'https://evil'],
    ['a javascript: URL', 'javascript:alert(document.cookie)'],
    ['a dot segment that leaves two slashes', '/.//evil.example'],
    ['a dot-dot segment that leaves two slashes', '/x/..//evil.example'],
  ])('refuses %s', (_, next) => {
    expect(safeNextPath(next)).toBeNull();
    expect(safeNextPath(next, 'http://127.0.0.1:3000')).toBeNull();
  });

  it('keeps still-encoded control characters as a harmless path on this site', () => {
    expect(safeNextPath('/%09/evil.example')).toBe('/%09/evil.example');
    expect(safeNextPath('/%0d%0a/evil')).toBe('/%0d%0a/evil');
  });

  it('checks against the origin it is given', () => {
    expect(safeNextPath('/ops', 'https://portal.example')).toBe('/ops');
    expect(safeNextPath('/\t/evil.example', 'https://portal.example')).toBeNull();
    expect(safeNextPath('http://portal.example/ops', 'https://portal.example')).toBeNull();
  });
});
