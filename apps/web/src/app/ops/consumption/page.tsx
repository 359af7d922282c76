import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../../components/PageHeader';
import { LoadingState } from '../../../components/ui/States';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';
import { ConsumptionDashboard } from './ConsumptionDashboard';

export const metadata: Metadata = { title: 'Consumption' };

export default async function ConsumptionPage() {
  await requireRole(sections.ops.roles, '/ops/consumption');
  return (
    <>
      <PageHeader title="Consumption">
        kWh by region, segment and tariff, and per settlement period. Provisional numbers come from the
        real-time speed layer; final ones from the nightly batch.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <ConsumptionDashboard />
      </Suspense>
    </>
  );
}
