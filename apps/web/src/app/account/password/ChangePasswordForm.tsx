'use client';

import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { describeProblem, fieldMessage } from '../../../lib/form-errors';
import { useTRPC } from '../../../trpc/client';

const fields = [
  { name: 'currentPassword', label: 'Current password', autoComplete: 'current-password' },
  { name: 'newPassword', label: 'New password', autoComplete: 'new-password' },
  { name: 'confirmPassword', label: 'New password again', autoComplete: 'new-password' },
] as const;
type FieldName = (typeof fields)[number]['name'];

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const id = useId();
  const [values, setValues] = useState<Record<FieldName, string>>({
    currentPassword: '',
    newPassword: '',
    confirmPassword: '',
  });
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      // A full page load: the top bar and the home page render for the new session.
      onSuccess: ({ home }) => window.location.assign(home),
    }),
  );
  const problem = change.isError ? describeProblem(change.error) : null;
  const busy = change.isPending || change.isSuccess;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    change.mutate(values);
  }

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Change password">
      {fields.map((field) => {
        const error = fieldMessage(problem, field.name);
        return (
          <div className="field" key={field.name}>
            <label htmlFor={`${id}-${field.name}`}>{field.label}</label>
            <input
              id={`${id}-${field.name}`}
              name={field.name}
              type="password"
              autoComplete={field.autoComplete}
              required
              value={values[field.name]}
              onChange={(event) => setValues((current) => ({ ...current, [field.name]: event.target.value }))}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-${field.name}-error` : undefined}
            />
            {error ? (
              <p id={`${id}-${field.name}-error`} className="field__error">
                {error}
              </p>
            ) : null}
          </div>
        );
      })}
      {problem ? (
        <p className="form__error" role="alert">
          {problem.message}
        </p>
      ) : null}
      <button type="submit" className="button button--primary button--block" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
