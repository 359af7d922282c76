import type { Metadata } from 'next';
import { PageHeader } from '../../../components/PageHeader';
import { UsersAdmin } from '../../../components/admin/UsersAdmin';
import { sections } from '../../../lib/access';
import { requireRole } from '../../../server/auth/current';

export const metadata: Metadata = { title: 'Users and roles' };

export default async function UsersPage() {
  const user = await requireRole(sections.admin.roles, '/admin/users');
  return (
    <>
      <PageHeader title="Users and roles">
        Who may sign in, with which role; customer accounts see one customer only.
      </PageHeader>
      <UsersAdmin currentUserId={user.id} />
    </>
  );
}
