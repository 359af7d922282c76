import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { CHANGE_PASSWORD_PATH } from '../../../lib/access';
import { getCurrentUser } from '../../../server/auth/current';
import { ChangePasswordForm } from './ChangePasswordForm';

export const metadata: Metadata = { title: 'Change password' };

/** Every signed-in user, whatever the role; the only page open to a user whose password was reset. */
export default async function ChangePasswordPage() {
  const user = await getCurrentUser();
  if (user === null) redirect(`/sign-in?next=${encodeURIComponent(CHANGE_PASSWORD_PATH)}`);
  return (
    <div className="auth-card">
      <h1>Change password</h1>
      <p className="auth-card__lead">
        {user.mustChangePassword
          ? 'An administrator reset your password. Choose your own before you go on.'
          : 'At least 12 characters; a few unrelated words make a good one. You stay signed in here; your other sessions end.'}
      </p>
      <ChangePasswordForm />
    </div>
  );
}
