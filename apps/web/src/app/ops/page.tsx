import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '../../components/PageHeader';
import { sections } from '../../lib/access';
import { opsPages } from '../../lib/ops-pages';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'Operations' };

export default async function OpsPage() {
  await requireRole(sections.ops.roles, sections.ops.href);
  return (
    <>
      <PageHeader title="Operations">
        Pipeline health, data completeness, consumption and the quarantine of rejected readings.
      </PageHeader>
      <ul className="overview-grid">
        {opsPages.map((page) => (
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
