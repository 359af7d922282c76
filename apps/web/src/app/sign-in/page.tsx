import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { homeFor, safeNextPath } from '../../lib/access';
import { getCurrentUser } from '../../server/auth/current';
import { SignInForm } from './SignInForm';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const next = safeNextPath((await searchParams).next);
  const user = await getCurrentUser();
  if (user) redirect(next ?? homeFor(user.role));
  return (
    <div className="auth-card">
      <h1>Sign in to MeterOps</h1>
      <p className="auth-card__lead">Use the email address and password your administrator gave you.</p>
      <SignInForm next={next} />
    </div>
  );
}
