/**
 * Which role may open which part of the portal. Pages enforce it on the server (`requireRole`), the top
 * bar shows only what the user may open, and the proxy uses it to send signed-out visitors to sign in.
 * Safe to import from client components: no server code, types only from the db package.
 */
import type { UserRole } from '@meterops/db/queries/auth';

export type { UserRole };

export interface Section {
  href: `/${string}`;
  label: string;
  /** `public`: anyone, signed in or not. */
  roles: readonly UserRole[] | 'public';
}

export const sections = {
  ops: { href: '/ops', label: 'Operations', roles: ['operator', 'admin'] },
  service: { href: '/service', label: 'Customer service', roles: ['agent', 'admin'] },
  admin: { href: '/admin', label: 'Administration', roles: ['admin'] },
  usage: { href: '/usage', label: 'My usage', roles: ['customer'] },
  status: { href: '/status', label: 'System status', roles: 'public' },
} as const satisfies Record<string, Section>;

export const roleLabels: Record<UserRole, string> = {
  operator: 'Operator',
  agent: 'Customer service',
  admin: 'Administrator',
  customer: 'Customer',
};

/** Where `/` and a successful sign-in take each role. */
/** Where every signed-in user changes their password, and where a reset password sends them. */
export const CHANGE_PASSWORD_PATH = '/account/password';

export function homeFor(role: UserRole): string {
  switch (role) {
    case 'operator':
    case 'admin':
      return sections.ops.href;
    case 'agent':
      return sections.service.href;
    case 'customer':
      return sections.usage.href;
  }
}

export function canOpen(section: Section, role: UserRole | null): boolean {
  if (section.roles === 'public') return true;
  return role !== null && section.roles.includes(role);
}

export function sectionsFor(role: UserRole | null): Section[] {
  return Object.values(sections).filter((section) => canOpen(section, role));
}

/** True for paths under a section that needs a signed-in user. */
export function needsSignIn(pathname: string): boolean {
  return Object.values(sections).some(
    (section: Section) =>
      section.roles !== 'public' && (pathname === section.href || pathname.startsWith(`${section.href}/`)),
  );
}

/**
 * Stands in for the site's origin where the real one is not known (the server renders the sign-in page
 * behind whatever host name the proxy answers to); only the path of the result is used.
 */
const PLACEHOLDER_ORIGIN = 'https://meterops.invalid';

/**
 * The `next` parameter of `/sign-in`, accepted only as a path on this site. It is resolved against the
 * origin the way the browser will resolve it, because browsers drop tab, CR and LF from URLs and read `\`
 * as `/`: `/<TAB>/evil.example` becomes `//evil.example`, another host. Only a result on the same origin
 * is kept, and returned normalised, so the browser gets exactly the path that was checked.
 */
export function safeNextPath(next: unknown, origin: string = PLACEHOLDER_ORIGIN): string | null {
  if (typeof next !== 'string' || !next.startsWith('/')) return null;
  let base: URL;
  let resolved: URL;
  try {
    base = new URL(origin);
    resolved = new URL(next, base);
  } catch {
    return null;
  }
  if (resolved.origin !== base.origin) return null;
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  // Removing dot segments can leave a path that starts with `//` (`/.//evil.example`), which the browser
  // would read as another host when it is used as a relative URL.
  if (path.startsWith('//')) return null;
  return path;
}

/** Narrows `user.role` to `roles`. */
export function hasRole<U extends { role: UserRole }, R extends UserRole>(
  user: U,
  roles: readonly R[],
): user is U & { role: R } {
  return (roles as readonly UserRole[]).includes(user.role);
}
