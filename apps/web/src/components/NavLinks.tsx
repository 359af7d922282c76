'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

export interface NavLink {
  href: string;
  label: string;
  /** A count shown beside the link, itself a link (the firing alerts beside Operations). */
  badge?: { count: number; href: string; label: string } | undefined;
}

export function NavLinks({ links }: { links: NavLink[] }) {
  const pathname = usePathname();
  return (
    <nav className="nav" aria-label="Main">
      <ul>
        {links.map(({ href, label, badge }) => {
          const current = pathname === href || pathname.startsWith(`${href}/`);
          return (
            <li key={href}>
              <Link href={href} className="nav__link" aria-current={current ? 'page' : undefined}>
                {label}
              </Link>
              {badge ? (
                <Link href={badge.href} className="nav__badge" aria-label={badge.label} title={badge.label}>
                  {badge.count}
                </Link>
              ) : null}
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
