import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { JobsBoard } from '../../../components/admin/JobsBoard';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Jobs' };

export default async function JobsPage() {
  await requireRole(sections.admin.roles, '/admin/jobs');
  return (
    <>
      <PageHeader title="Jobs">
        Reprocessing and the other batch runs: progress, duration, errors, cancel.
      </PageHeader>
      <JobsBoard />
    </>
  );
}
