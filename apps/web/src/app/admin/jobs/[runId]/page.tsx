import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { z } from 'zod';
import { PageHeader } from '../../../../components/PageHeader';
import { JobRunView } from '../../../../components/admin/JobRunView';
import { sections } from '../../../../lib/access';
import { requireRole } from '../../../../server/auth/current';

export const metadata: Metadata = { title: 'Job run' };

export default async function JobRunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  await requireRole(sections.admin.roles, `/admin/jobs/${runId}`);
  if (!z.uuid().safeParse(runId).success) notFound();
  return (
    <>
      <PageHeader title="Job run">Followed live until it ends.</PageHeader>
      <JobRunView runId={runId} />
    </>
  );
}
