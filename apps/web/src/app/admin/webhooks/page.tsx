import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { WebhooksAdmin } from '../../../components/admin/WebhooksAdmin';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Webhooks' };

export default async function WebhooksPage() {
  await requireRole(sections.admin.roles, '/admin/webhooks');
  return (
    <>
      <PageHeader title="Webhooks">
        Signed events for other systems: day finalized, billing alerts, corrections, reprocessing.
      </PageHeader>
      <WebhooksAdmin />
    </>
  );
}
