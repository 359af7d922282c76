import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { RegistryBrowser } from '../../../components/registry/RegistryBrowser';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Registry' };

/** Customer service reads the registry to answer callers; administrators change it under Administration. */
export default async function ServiceRegistryPage() {
  await requireRole(sections.service.roles, '/service/registry');
  return (
    <>
      <PageHeader title="Registry">
        Meters, customers, tariffs and billing periods, read-only. Administrators change them.
      </PageHeader>
      <RegistryBrowser canEdit={false} />
    </>
  );
}
