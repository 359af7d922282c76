import 'server-only';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import type { SessionUser, UserRole } from '@meterops/db/queries/auth';
import { CHANGE_PASSWORD_PATH, hasRole, homeFor } from '../../lib/access';
import { db } from '../db';
import { SESSION_COOKIE } from './cookie';
import { validateSessionToken } from './session';

/**
 * The signed-in user for this request, or null. Cached per request, so the layout and the page share one
 * lookup. Server Components cannot set cookies: a renewed expiry is written to the database here and the
 * cookie itself is refreshed by the proxy on page loads.
 */
export const getCurrentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) return null;
  const validated = await validateSessionToken(db, token);
  return validated?.user ?? null;
});

/**
 * Guards a page: signed-out visitors go to sign in (and come back to `path`), users of another role go to
 * their own home page. Returns the user with the role narrowed.
 */
export async function requireRole<const R extends UserRole>(
  roles: readonly R[],
  path: string,
): Promise<SessionUser & { role: R }> {
  const user = await getCurrentUser();
  if (user === null) redirect(`/sign-in?next=${encodeURIComponent(path)}`);
  // A reset password opens nothing until the user has chosen their own.
  if (user.mustChangePassword) redirect(CHANGE_PASSWORD_PATH);
  if (!hasRole(user, roles)) redirect(homeFor(user.role));
  return user;
}
