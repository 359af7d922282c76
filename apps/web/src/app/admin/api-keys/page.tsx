import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { ApiKeysAdmin } from '../../../components/admin/ApiKeysAdmin';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'API keys' };

export default async function ApiKeysPage() {
  await requireRole(sections.admin.roles, '/admin/api-keys');
  return (
    <>
      <PageHeader title="API keys">
        Keys of the REST API (<a href="/api/v1/docs">reference</a>): each names what it may reach. The secret
        is shown once, when the key is created; only its hash is kept.
      </PageHeader>
      <ApiKeysAdmin />
    </>
  );
}
