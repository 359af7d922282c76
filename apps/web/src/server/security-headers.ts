/**
 * The security headers of every page, built per request by the proxy (a CSP nonce is per response, and
 * HSTS follows the runtime SESSION_COOKIE_SECURE, which next.config's build-time headers could not).
 * No environment access here: the proxy passes in what it needs.
 */

/**
 * Scripts run only with this response's nonce (Next puts it on its own inline and chunk scripts when it
 * finds it in the request's CSP header), and what they load inherits the trust ('strict-dynamic'), so an
 * injected `<script>` or `on…=` attribute does not run. Styles allow inline attributes: React's `style`
 * props and ECharts' tooltips set them, and a nonce cannot cover attributes; CSS cannot run script.
 * Development adds eval (React's debugging) and the hot-reload websocket.
 */
export function contentSecurityPolicy(params: { nonce: string; development: boolean }): string {
  const { nonce, development } = params;
  const directives: Record<string, string[]> = {
    'default-src': ["'self'"],
    'script-src': [
      "'self'",
      `'nonce-${nonce}'`,
      "'strict-dynamic'",
      ...(development ? ["'unsafe-eval'"] : []),
    ],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'"],
    'connect-src': ["'self'", ...(development ? ['ws:'] : [])],
    'object-src': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
  };
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

/** A fresh nonce: 16 random bytes, base64. */
export function generateNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * Two years, subdomains included: once a browser has seen the site over https it never tries http again.
 * Sent only when the site is configured as https (SESSION_COOKIE_SECURE), never on a plain-http demo.
 */
export const STRICT_TRANSPORT_SECURITY = 'max-age=63072000; includeSubDomains';
