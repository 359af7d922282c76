import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { MetersSection } from '../../../components/registry/MetersSection';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Meters' };

/** Operators read the meter registry: is a rejected id unknown, inactive or removed? */
export default async function OpsMetersPage() {
  await requireRole(sections.ops.roles, '/ops/meters');
  return (
    <>
      <PageHeader title="Meters">
        Every registered meter with its status, interval, time zone and installation. Administrators register
        and change meters.
      </PageHeader>
      <MetersSection canEdit={false} />
    </>
  );
}
