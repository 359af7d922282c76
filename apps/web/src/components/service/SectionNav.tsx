'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

/**
 * A section's own navigation under the top bar (customer service, administration), in the style of the
 * operations section. A link is current on its own path and under the prefixes it lists in `match`.
 */
export function SectionNav({
  label,
  links,
}: {
  label: string;
  links: readonly { href: string; label: string; match?: readonly string[] }[];
}) {
  const pathname = usePathname();
  return (
    <nav className="subnav" aria-label={label}>
      <ul>
        {links.map(({ href, label: text, match = [] }) => {
          const current = pathname === href || match.some((prefix) => pathname.startsWith(prefix));
          return (
            <li key={href}>
              <Link href={href} className="subnav__link" aria-current={current ? 'page' : undefined}>
                {text}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
