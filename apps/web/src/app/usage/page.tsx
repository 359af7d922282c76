import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../components/PageHeader';
import { UsageDashboard } from '../../components/usage/UsageDashboard';
import { LoadingState } from '../../components/ui/States';
import { sections } from '../../lib/access';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'My usage' };

export default async function UsagePage() {
  await requireRole(sections.usage.roles, sections.usage.href);
  return (
    <>
      <PageHeader title="My usage">
        Your electricity use by day, week, month and year, and how it compares with similar homes.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <UsageDashboard />
      </Suspense>
    </>
  );
}
