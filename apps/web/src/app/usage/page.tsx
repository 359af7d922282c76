import type { Metadata } from 'next';
import { PageHeader } from '../../components/PageHeader';
import { sections } from '../../lib/access';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'My usage' };

export default async function UsagePage() {
  await requireRole(sections.usage.roles, sections.usage.href);
  return <PageHeader title="My usage">Your consumption by day, week, month and year.</PageHeader>;
}
