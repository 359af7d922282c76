import type { Metadata } from 'next';
import { PageHeader } from '../../components/PageHeader';
import { sections } from '../../lib/access';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'Administration' };

export default async function AdminPage() {
  await requireRole(sections.admin.roles, sections.admin.href);
  return <PageHeader title="Administration">Reprocessing runs, the job list, billing alerts, users and roles.</PageHeader>;
}
