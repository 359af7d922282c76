import type { ReactNode } from 'react';
import { SectionNav } from '../../components/service/SectionNav';
import { adminPages } from '../../lib/admin-pages';

const links = [
  { href: '/admin', label: 'Overview' },
  ...adminPages.map(({ href, label }) => ({ href, label, match: [`${href}/`] })),
];

/** Every administration page checks the role itself (`requireRole`); the layout adds the section's navigation. */
export default function AdminLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SectionNav label="Administration" links={links} />
      {children}
    </>
  );
}
