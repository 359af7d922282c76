import type { ReactNode } from 'react';
import { SectionNav } from '../../components/service/SectionNav';

const links = [
  { href: '/service', label: 'Find a customer or meter', match: ['/service/meters/'] },
  { href: '/service/review', label: 'Review queue' },
  { href: '/service/registry', label: 'Registry' },
];

/** Every customer-service page checks the role itself (`requireRole`); the layout adds the section's navigation. */
export default function ServiceLayout({ children }: { children: ReactNode }) {
  return (
    <>
      <SectionNav label="Customer service" links={links} />
      {children}
    </>
  );
}
