import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../../components/PageHeader';
import { LoadingState } from '../../../components/ui/States';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';
import { PipelineDashboard } from './PipelineDashboard';

export const metadata: Metadata = { title: 'Pipeline health' };

export default async function PipelinePage() {
  await requireRole(sections.ops.roles, '/ops/pipeline');
  return (
    <>
      <PageHeader title="Pipeline health">
        Kafka to Postgres, from the worker&apos;s tracking metrics in InfluxDB. Times are UTC.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <PipelineDashboard />
      </Suspense>
    </>
  );
}
