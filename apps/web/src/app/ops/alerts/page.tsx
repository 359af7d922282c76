import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { AlertsBoard } from '../../../components/ops/AlertsBoard';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Alerts' };

export default async function AlertsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  await requireRole(sections.ops.roles, '/ops/alerts');
  // An alert e-mail links to `/ops/alerts?alert=<id>`: that alert is marked in the list of all alerts.
  const raw = (await searchParams).alert;
  const alertId = typeof raw === 'string' && /^\d{1,12}$/.test(raw) ? Number(raw) : null;
  return (
    <>
      <PageHeader title="Alerts">
        What the alert rules found, acknowledged or not, and what resolved. Times are UTC; rules are evaluated
        by the worker every 30 s.
      </PageHeader>
      <AlertsBoard initialAlertId={alertId} />
    </>
  );
}
