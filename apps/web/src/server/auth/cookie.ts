/**
 * The session cookie's wire format, in one place for the tRPC handler (which answers with raw headers)
 * and the proxy (which uses Next's cookie API with the same attributes). Free of database code, because
 * the proxy imports it.
 */
import { env } from '../../env';

/**
 * Over https the name carries the `__Host-` prefix: browsers then accept the cookie only with Secure,
 * Path=/ and no Domain, so neither a sibling subdomain nor a plain-http page can plant or overwrite it.
 */
export const SESSION_COOKIE = env.SESSION_COOKIE_SECURE ? '__Host-meterops_session' : 'meterops_session';
/** Sliding lifetime: a session unused for this long ends. */
export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** Absolute lifetime: however busy, a session ends this long after sign-in (a stolen token expires). */
export const SESSION_ABSOLUTE_LIFETIME_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * httpOnly: scripts never see the token. SameSite=Lax: not sent on cross-site POSTs, so another site
 * cannot make a signed-in browser call a mutation. Secure when the site is served over https (the default
 * outside development, see SESSION_COOKIE_SECURE).
 */
export const sessionCookieAttributes = {
  httpOnly: true,
  sameSite: 'lax',
  path: '/',
  secure: env.SESSION_COOKIE_SECURE,
  maxAge: SESSION_LIFETIME_MS / 1000,
} as const;

function serialize(value: string, expiresAt: Date): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${maxAge}`,
    `Expires=${expiresAt.toUTCString()}`,
  ];
  if (sessionCookieAttributes.secure) parts.push('Secure');
  return parts.join('; ');
}

export function serializeSessionCookie(token: string, expiresAt: Date): string {
  return serialize(token, expiresAt);
}

/** Tells the browser to drop the cookie at once. */
export function serializeClearedSessionCookie(): string {
  return serialize('', new Date(0));
}

/** The token from a `Cookie` request header, or null. */
export function readSessionToken(cookieHeader: string | null): string | null {
  if (!cookieHeader) return null;
  for (const pair of cookieHeader.split(';')) {
    const separator = pair.indexOf('=');
    if (separator === -1) continue;
    if (pair.slice(0, separator).trim() === SESSION_COOKIE) {
      const value = pair.slice(separator + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}
