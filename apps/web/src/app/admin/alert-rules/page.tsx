import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { AlertRulesEditor } from '../../../components/admin/AlertRulesEditor';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Alert rules' };

export default async function AlertRulesPage() {
  await requireRole(sections.admin.roles, '/admin/alert-rules');
  return (
    <>
      <PageHeader title="Alert rules">
        Thresholds, durations and severity of each rule, and the channels alerts are sent to.
      </PageHeader>
      <AlertRulesEditor />
    </>
  );
}
