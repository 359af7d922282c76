import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { SettlementDashboard } from '../../../components/settlement/SettlementDashboard';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Settlement' };

export default async function SettlementPage() {
  const user = await requireRole(sections.ops.roles, '/ops/settlement');
  return (
    <>
      <PageHeader title="Settlement">
        Energy per supplier and half-hour period of each region&apos;s local settlement day. Runs are
        immutable and versioned; a reconciliation run shows what changed since the run before it and which
        readings caused it.
      </PageHeader>
      <SettlementDashboard canEdit={user.role === 'admin'} />
    </>
  );
}
