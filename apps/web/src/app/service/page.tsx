import type { Metadata } from 'next';
import { Suspense } from 'react';
import { PageHeader } from '../../components/PageHeader';
import { CustomerSearch } from '../../components/service/CustomerSearch';
import { LoadingState } from '../../components/ui/States';
import { sections } from '../../lib/access';
import { requireRole } from '../../server/auth/current';

export const metadata: Metadata = { title: 'Customer service' };

export default async function ServicePage() {
  await requireRole(sections.service.roles, sections.service.href);
  return (
    <>
      <PageHeader title="Customer service">
        Find a meter or customer, review its intervals and correct readings with a reason.
      </PageHeader>
      <Suspense fallback={<LoadingState />}>
        <CustomerSearch />
      </Suspense>
    </>
  );
}
