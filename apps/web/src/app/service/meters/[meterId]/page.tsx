import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { Suspense } from 'react';
import { PageHeader } from '../../../../components/PageHeader';
import { MeterWorkspace } from '../../../../components/service/MeterWorkspace';
import { LoadingState } from '../../../../components/ui/States';
import { sections } from '../../../../lib/access';
import { meterIdSchema } from '../../../../lib/service-params';
import { requireRole } from '../../../../server/auth/current';

type Params = Promise<{ meterId: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  const { meterId } = await params;
  return { title: `Meter ${decodeURIComponent(meterId)}` };
}

export default async function MeterPage({ params }: { params: Params }) {
  const { meterId: raw } = await params;
  const meterId = meterIdSchema.safeParse(decodeURIComponent(raw));
  await requireRole(sections.service.roles, `/service/meters/${raw}`);
  if (!meterId.success) notFound();
  return (
    <>
      <PageHeader title={`Meter ${meterId.data}`}>
        Intervals with their quality, corrections with a reason, and the revision history.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <MeterWorkspace meterId={meterId.data} />
      </Suspense>
    </>
  );
}
