import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../../components/PageHeader';
import { LoadingState } from '../../../components/ui/States';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';
import { RejectsBrowser } from './RejectsBrowser';

export const metadata: Metadata = { title: 'Rejected readings' };

export default async function RejectsPage() {
  await requireRole(sections.ops.roles, '/ops/rejects');
  return (
    <>
      <PageHeader title="Rejected readings">
        Everything a producer sent that failed a validation rule: nothing is silently lost. Times are UTC.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <RejectsBrowser />
      </Suspense>
    </>
  );
}
