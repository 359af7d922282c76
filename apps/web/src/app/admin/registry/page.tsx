import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { RegistryBrowser } from '../../../components/registry/RegistryBrowser';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Registry' };

export default async function RegistryPage() {
  await requireRole(sections.admin.roles, '/admin/registry');
  return (
    <>
      <PageHeader title="Registry">
        Meters, customers, tariffs, billing periods and suppliers. Nothing is deleted: meters are made
        inactive or removed, customers and tariffs deactivated, open billing periods cancelled.
      </PageHeader>
      <RegistryBrowser canEdit />
    </>
  );
}
