import { redirect } from 'next/navigation';
import { homeFor } from '../lib/access';
import { getCurrentUser } from '../server/auth/current';

/** No page of its own: each role starts where its work is. */
export default async function Home() {
  const user = await getCurrentUser();
  redirect(user ? homeFor(user.role) : '/sign-in');
}
