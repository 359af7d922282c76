import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../../components/PageHeader';
import { LoadingState } from '../../../components/ui/States';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';
import { CompletenessDashboard } from './CompletenessDashboard';

export const metadata: Metadata = { title: 'Completeness' };

export default async function CompletenessPage() {
  await requireRole(sections.ops.roles, '/ops/completeness');
  return (
    <>
      <PageHeader title="Data completeness">
        Expected versus received intervals per day and region, the meters behind the gaps, and how fast
        readings arrive.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <CompletenessDashboard />
      </Suspense>
    </>
  );
}
