import { unstable_doesMiddlewareMatch } from 'next/experimental/testing/server';
import { NextRequest } from 'next/server';
import { describe, expect, it } from 'vitest';
import { config, proxy } from '../src/proxy';
import { contentSecurityPolicy } from '../src/server/security-headers';

const site = 'http://portal.example';

function request(path: string, init: { method?: string; origin?: string } = {}) {
  const headers = new Headers({ host: 'portal.example' });
  if (init.origin !== undefined) headers.set('origin', init.origin);
  return new NextRequest(`${site}${path}`, { method: init.method ?? 'GET', headers });
}

describe('proxy', () => {
  it('runs on every path a request can change state through, whatever its ending', () => {
    for (const path of ['/api/trpc/users.setRole', '/api/trpc/users.setRole.js', '/x.css', '/a.txt', '/']) {
      expect(unstable_doesMiddlewareMatch({ config, url: path }), path).toBe(true);
    }
    expect(unstable_doesMiddlewareMatch({ config, url: '/_next/static/chunks/main.js' })).toBe(false);
    expect(unstable_doesMiddlewareMatch({ config, url: '/_next/image' })).toBe(false);
  });

  it('refuses a cross-origin POST, also to a path ending in .js', () => {
    for (const path of ['/api/trpc/users.setRole', '/api/trpc/users.setRole.js']) {
      const response = proxy(request(path, { method: 'POST', origin: 'https://evil.example' }));
      expect(response.status, path).toBe(403);
    }
    const sameSite = proxy(request('/api/trpc/users.setRole', { method: 'POST', origin: site }));
    expect(sameSite.status).toBe(200);
  });

  it('gives pages a CSP with a fresh nonce, and hands the same policy to Next for its scripts', () => {
    const first = proxy(request('/status'));
    const second = proxy(request('/status'));
    const csp = first.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(second.headers.get('content-security-policy')).not.toBe(csp);
    // NextResponse.next({ request: { headers } }) passes overridden request headers this way.
    expect(first.headers.get('x-middleware-request-content-security-policy')).toBe(csp);
  });

  it('sends HSTS when the site is configured as https (the default outside development)', () => {
    expect(proxy(request('/status')).headers.get('strict-transport-security')).toMatch(/^max-age=\d{8}/);
  });
});

describe('content security policy', () => {
  it('allows no inline or injected script, no plugins, no framing and no foreign form targets', () => {
    const csp = contentSecurityPolicy({ nonce: 'abc', development: false });
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("base-uri 'self'");
    expect(csp).toContain("form-action 'self'");
    expect(contentSecurityPolicy({ nonce: 'abc', development: true })).toContain("'unsafe-eval'");
  });
});
