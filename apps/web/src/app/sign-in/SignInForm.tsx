'use client';

import { useMutation } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useId, useState, type FormEvent } from 'react';
import { safeNextPath } from '../../lib/access';
import { useTRPC } from '../../trpc/client';

interface FormError {
  message: string;
  fieldErrors: Partial<Record<'email' | 'password', string[]>>;
}

function describe(error: unknown): FormError {
  if (error instanceof TRPCClientError) {
    const data = error.data as { code?: string; fieldErrors?: FormError['fieldErrors'] | null } | undefined;
    if (data?.code === 'BAD_REQUEST' && data.fieldErrors) {
      return { message: 'Check the highlighted fields.', fieldErrors: data.fieldErrors };
    }
    if (data?.code === 'UNAUTHORIZED' || data?.code === 'TOO_MANY_REQUESTS') {
      return { message: error.message, fieldErrors: {} };
    }
  }
  return { message: 'Sign-in is not available right now; try again in a moment.', fieldErrors: {} };
}

export function SignInForm({ next }: { next: string | null }) {
  const trpc = useTRPC();
  const id = useId();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      // A full page load, so that the server renders the top bar and the page for the signed-in user. The
      // server checked `next` already; checking it again against the real origin keeps this call safe
      // whatever a future caller passes in.
      onSuccess: ({ home }) => window.location.assign(safeNextPath(next, window.location.origin) ?? home),
    }),
  );
  const error = signIn.isError ? describe(signIn.error) : null;
  const busy = signIn.isPending || signIn.isSuccess;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    signIn.mutate({ email, password });
  }

  const emailError = error?.fieldErrors.email?.[0];
  const passwordError = error?.fieldErrors.password?.[0];
  return (
    <form className="form" onSubmit={onSubmit} aria-describedby={error ? `${id}-error` : undefined}>
      <div className="field">
        <label htmlFor={`${id}-email`}>Email</label>
        <input
          id={`${id}-email`}
          name="email"
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
          aria-invalid={emailError ? true : undefined}
          aria-describedby={emailError ? `${id}-email-error` : undefined}
        />
        {emailError ? (
          <p id={`${id}-email-error`} className="field__error">
            {emailError}
          </p>
        ) : null}
      </div>
      <div className="field">
        <label htmlFor={`${id}-password`}>Password</label>
        <input
          id={`${id}-password`}
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          aria-invalid={passwordError ? true : undefined}
          aria-describedby={passwordError ? `${id}-password-error` : undefined}
        />
        {passwordError ? (
          <p id={`${id}-password-error`} className="field__error">
            {passwordError}
          </p>
        ) : null}
      </div>
      {error ? (
        <p id={`${id}-error`} className="form__error" role="alert">
          {error.message}
        </p>
      ) : null}
      <button type="submit" className="button button--primary button--block" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
