import Link from 'next/link';
import { canOpen, CHANGE_PASSWORD_PATH, roleLabels, sections, sectionsFor } from '../lib/access';
import { countFiringAlerts } from '@meterops/db/queries/alerting';
import { getCurrentUser } from '../server/auth/current';
import { sql } from '../server/db';
import { NavLinks } from './NavLinks';
import { SignOutButton } from './SignOutButton';

export async function TopBar() {
  const user = await getCurrentUser();
  // Operators see how many alerts fire and nobody has acknowledged, on every page they open.
  const firing =
    user && canOpen(sections.ops, user.role)
      ? await countFiringAlerts(sql).then(
          (count) => count.unacknowledged,
          // The badge is a hint; a page must not fail because the count could not be read.
          () => 0,
        )
      : 0;
  const links = sectionsFor(user?.role ?? null).map(({ href, label }) => ({
    href,
    label,
    badge:
      href === sections.ops.href && firing > 0
        ? { count: firing, href: '/ops/alerts', label: `${firing} firing alert${firing === 1 ? '' : 's'}` }
        : undefined,
  }));
  return (
    <header className="topbar">
      <div className="topbar__inner">
        <Link href="/" className="brand" aria-label="MeterOps home">
          <svg className="brand__mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" strokeWidth="2" />
            <path d="M12 12 L17 7" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            <path d="M6 15h12" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          <span>MeterOps</span>
        </Link>
        <NavLinks links={links} />
        <div className="account">
          {user ? (
            <>
              <span className="account__who">
                <span className="account__name">{user.name}</span>
                <span className="account__role">{roleLabels[user.role]}</span>
              </span>
              <Link href={CHANGE_PASSWORD_PATH} className="button button--ghost">
                Password
              </Link>
              <SignOutButton />
            </>
          ) : (
            <Link href="/sign-in" className="button button--ghost">
              Sign in
            </Link>
          )}
        </div>
      </div>
    </header>
  );
}
