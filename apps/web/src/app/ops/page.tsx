import type { Metadata } from 'next';
import { PageHeader } from '../../components/PageHeader';
import { sections } from '../../lib/access';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'Operations' };

export default async function OpsPage() {
  await requireRole(sections.ops.roles, sections.ops.href);
  return <PageHeader title="Operations">Pipeline health, data completeness and consumption by region, segment and tariff.</PageHeader>;
}
