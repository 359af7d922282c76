'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { opsPages } from '../../lib/ops-pages';

const links = [{ href: '/ops', label: 'Overview' }, ...opsPages];

/** The operations section's own navigation, under the top bar. */
export function OpsNav() {
  const pathname = usePathname();
  return (
    <nav className="subnav" aria-label="Operations">
      <ul>
        {links.map(({ href, label }) => (
          <li key={href}>
            <Link href={href} className="subnav__link" aria-current={pathname === href ? 'page' : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
