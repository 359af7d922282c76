import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '../../components/PageHeader';
import { sections } from '../../lib/access';
import { adminPages } from '../../lib/admin-pages';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'Administration' };

export default async function AdminPage() {
  await requireRole(sections.admin.roles, sections.admin.href);
  return (
    <>
      <PageHeader title="Administration">
        Reprocessing runs, the job list, billing alerts, users and roles.
      </PageHeader>
      <ul className="overview-grid">
        {adminPages.map((page) => (
          <li key={page.href}>
            <Link href={page.href} className="overview-card">
              <span className="overview-card__title">{page.label}</span>
              <span className="overview-card__description">{page.description}</span>
            </Link>
          </li>
        ))}
      </ul>
    </>
  );
}
