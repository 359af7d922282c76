'use client';

import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '../trpc/client';

export function SignOutButton() {
  const trpc = useTRPC();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      // A full page load, so that every server-rendered part forgets the user at once.
      onSuccess: () => window.location.assign('/sign-in'),
    }),
  );
  return (
    <>
      {signOut.isError ? (
        <span role="alert" className="account__error">
          Sign-out failed; try again.
        </span>
      ) : null}
      <button
        type="button"
        className="button button--ghost"
        onClick={() => signOut.mutate()}
        disabled={signOut.isPending || signOut.isSuccess}
      >
        {signOut.isPending || signOut.isSuccess ? 'Signing out…' : 'Sign out'}
      </button>
    </>
  );
}
