import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { BillingAlerts } from '../../../components/admin/BillingAlerts';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Billing alerts' };

export default async function BillingPage() {
  await requireRole(sections.admin.roles, '/admin/billing');
  return (
    <>
      <PageHeader title="Billing alerts">Changes to invoiced days, with what caused them.</PageHeader>
      <BillingAlerts />
    </>
  );
}
