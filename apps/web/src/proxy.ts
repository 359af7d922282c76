/**
 * Optimistic checks only (no database: the proxy runs on every request, prefetches included). Pages check
 * the session and role for real with `requireRole`; procedures with `authedProcedure`/`withRole`. It also
 * sets the per-response security headers (./server/security-headers.ts).
 */
import { NextResponse, type NextRequest } from 'next/server';
import { env } from './env';
import { needsSignIn } from './lib/access';
import { SESSION_COOKIE, sessionCookieAttributes } from './server/auth/cookie';
import { contentSecurityPolicy, generateNonce, STRICT_TRANSPORT_SECURITY } from './server/security-headers';

function isSameOrigin(request: NextRequest): boolean {
  const origin = request.headers.get('origin');
  // Browsers send Origin on every cross-origin request and on same-origin POSTs; its absence means a
  // non-browser client, which a cookie policy does not need to stop.
  if (origin === null) return true;
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host');
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Files the browser loads, not pages: they need no cookie refresh. */
const ASSET_PATH = /\.(?:png|svg|ico|css|js|map|txt|woff2?)$/;

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;

  // Defence in depth beside SameSite=Lax: a state-changing request must come from this site's pages,
  // whatever its path looks like.
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return isSameOrigin(request)
      ? NextResponse.next()
      : new NextResponse('Cross-origin request refused', { status: 403 });
  }

  const token = request.cookies.get(SESSION_COOKIE)?.value;
  if (!token && needsSignIn(pathname)) {
    const signIn = new URL('/sign-in', request.url);
    signIn.searchParams.set('next', `${pathname}${search}`);
    return NextResponse.redirect(signIn);
  }

  // Next reads the nonce from the request's CSP header and puts it on the scripts it renders.
  const csp = contentSecurityPolicy({ nonce: generateNonce(), development: env.NODE_ENV === 'development' });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', csp);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('content-security-policy', csp);
  if (env.SESSION_COOKIE_SECURE) response.headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);

  if (token && !pathname.startsWith('/api/') && !ASSET_PATH.test(pathname)) {
    // Sliding expiry of the cookie on page loads; the database expiry is renewed when the session is read
    // (and never past the session's absolute end, which the database enforces).
    response.cookies.set(SESSION_COOKIE, token, sessionCookieAttributes);
  }
  return response;
}

/**
 * Everything except Next's build output, which is only ever read. Excluding by file extension instead
 * would let `POST /api/trpc/….js` past the Origin check.
 */
export const config = {
  matcher: ['/((?!_next/static/|_next/image|favicon\\.ico$).*)'],
};
