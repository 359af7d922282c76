/**
 * Optimistic checks only (no database: the proxy runs on every request, prefetches included). Pages check
 * the session and role for real with `requireRole`; procedures with `authedProcedure`/`withRole`.
 */
import { NextResponse, type NextRequest } from 'next/server';
import { needsSignIn } from './lib/access';
import { SESSION_COOKIE, sessionCookieAttributes } from './server/auth/cookie';

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

export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;

  // Defence in depth beside SameSite=Lax: a state-changing request must come from this site's pages.
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

  const response = NextResponse.next();
  if (token && !pathname.startsWith('/api/')) {
    // Sliding expiry of the cookie on page loads; the database expiry is renewed when the session is read.
    response.cookies.set(SESSION_COOKIE, token, sessionCookieAttributes);
  }
  return response;
}

export const config = {
  matcher: ['/((?!_next/static|_next/image|favicon.ico|.*\\.(?:png|svg|ico|css|js|txt)$).*)'],
};
