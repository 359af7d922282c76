import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { StaffAudit } from '../../../components/admin/StaffAudit';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Audit trail' };

export default async function AuditPage() {
  await requireRole(sections.admin.roles, '/admin/audit');
  return (
    <>
      <PageHeader title="Audit trail">
        What staff did: role changes, disabled users, password resets, billing alert acknowledgements, job
        starts. Records cannot be changed or deleted.
      </PageHeader>
      <StaffAudit />
    </>
  );
}
