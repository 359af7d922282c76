import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../../components/PageHeader';
import { ReviewQueue } from '../../../components/service/ReviewQueue';
import { LoadingState } from '../../../components/ui/States';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Review queue' };

export default async function ReviewPage() {
  await requireRole(sections.service.roles, '/service/review');
  return (
    <>
      <PageHeader title="Review queue">
        Readings that soft validation rules flagged, waiting for a person’s decision.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <ReviewQueue />
      </Suspense>
    </>
  );
}
