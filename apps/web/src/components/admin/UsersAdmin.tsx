'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { roleLabels } from '../../lib/access';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { roles } from '../../lib/user-params';
import { useTRPC, type RouterOutputs } from '../../trpc/client';

type Role = (typeof roles)[number];
type User = RouterOutputs['users']['list']['users'][number];

/** Users and their roles: create, change role and customer binding, disable or enable. */
export function UsersAdmin({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const users = useQuery(trpc.users.list.queryOptions());
  const [editing, setEditing] = useState<{ id: string; form: 'role' | 'password' } | null>(null);
  return (
    <div className="dashboard">
      <CreateUser />
      <Panel title="Users" description="Disabling a user ends their sessions at once." name="users">
        <QueryView query={users} loadingLabel="Loading users…">
          {(data) => (
            <div className="table-scroll">
              <table className="table table--compact" data-table="users">
                <caption className="visually-hidden">Users of the portal</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Role</th>
                    <th scope="col">Customer</th>
                    <th scope="col">Status</th>
                    <th scope="col">Last sign-in</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.users.map((user) =>
                    editing?.id === user.id ? (
                      <tr key={user.id} className="row--form" data-user={user.email}>
                        <td colSpan={6}>
                          {editing.form === 'role' ? (
                            <EditRole
                              user={user}
                              isSelf={user.id === currentUserId}
                              onDone={() => setEditing(null)}
                            />
                          ) : (
                            <ResetPassword user={user} onDone={() => setEditing(null)} />
                          )}
                        </td>
                      </tr>
                    ) : (
                      <UserRow
                        key={user.id}
                        user={user}
                        isSelf={user.id === currentUserId}
                        onEdit={() => setEditing({ id: user.id, form: 'role' })}
                        onResetPassword={() => setEditing({ id: user.id, form: 'password' })}
                      />
                    ),
                  )}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Panel>
    </div>
  );
}

function UserRow({
  user,
  isSelf,
  onEdit,
  onResetPassword,
}: {
  user: User;
  isSelf: boolean;
  onEdit: () => void;
  onResetPassword: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
    }),
  );
  const disabled = user.disabledAt !== null;
  return (
    <tr data-user={user.email} className={disabled ? 'row--disabled' : undefined}>
      <th scope="row">
        {user.name}
        {isSelf ? <span className="tag tag--muted">you</span> : null}
        <br />
        <span className="mono muted">{user.email}</span>
      </th>
      <td>{roleLabels[user.role]}</td>
      <td>
        {user.customerId ? (
          <span title={user.customerName ?? ''}>
            <span className="mono">{user.customerId}</span>
          </span>
        ) : (
          <span className="muted">–</span>
        )}
      </td>
      <td>
        {disabled ? (
          <span className="badge badge--down">Disabled</span>
        ) : (
          <span className="badge badge--up">Active</span>
        )}
        {user.mustChangePassword ? <span className="tag tag--muted">must change password</span> : null}
        {setDisabled.isError ? (
          <p className="field__error" role="alert">
            {describeProblem(setDisabled.error).message}
          </p>
        ) : null}
      </td>
      <td className="small-cell">
        {user.lastSessionAt ? (
          formatUtc(user.lastSessionAt, { seconds: false })
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button button--small"
            onClick={onEdit}
            aria-label={`Change role of ${user.email}`}
          >
            Change role
          </button>
          {isSelf ? null : (
            <button
              type="button"
              className="button button--small"
              onClick={onResetPassword}
              aria-label={`Reset password of ${user.email}`}
            >
              Reset password
            </button>
          )}
          {isSelf ? null : (
            <button
              type="button"
              className="button button--small"
              disabled={setDisabled.isPending}
              onClick={() => setDisabled.mutate({ id: user.id, disabled: !disabled })}
              aria-label={`${disabled ? 'Enable' : 'Disable'} ${user.email}`}
            >
              {disabled ? 'Enable' : 'Disable'}
            </button>
          )}
        </div>
      </td>
    </tr>
  );
}

function RoleFields({
  id,
  role,
  customerId,
  onRole,
  onCustomer,
  errors,
}: {
  id: string;
  role: Role;
  customerId: string;
  onRole: (role: Role) => void;
  onCustomer: (customerId: string) => void;
  errors: { role?: string; customerId?: string };
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-role`}>Role</label>
        <select
          id={`${id}-role`}
          value={role}
          onChange={(event) => onRole(event.target.value as Role)}
          aria-invalid={errors.role ? true : undefined}
          aria-describedby={errors.role ? `${id}-role-error` : undefined}
        >
          {roles.map((value) => (
            <option key={value} value={value}>
              {roleLabels[value]}
            </option>
          ))}
        </select>
        {errors.role ? (
          <p id={`${id}-role-error`} className="field__error">
            {errors.role}
          </p>
        ) : null}
      </div>
      {role === 'customer' ? (
        <div className="field">
          <label htmlFor={`${id}-customer`}>Customer id</label>
          <input
            id={`${id}-customer`}
            value={customerId}
            placeholder="CUS-000001"
            onChange={(event) => onCustomer(event.target.value)}
            aria-invalid={errors.customerId ? true : undefined}
            aria-describedby={errors.customerId ? `${id}-customer-error` : `${id}-customer-hint`}
          />
          {errors.customerId ? (
            <p id={`${id}-customer-error`} className="field__error">
              {errors.customerId}
            </p>
          ) : (
            <p id={`${id}-customer-hint`} className="field__hint">
              The one customer this account may see.
            </p>
          )}
        </div>
      ) : null}
    </>
  );
}

function EditRole({ user, isSelf, onDone }: { user: User; isSelf: boolean; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [role, setRole] = useState<Role>(user.role);
  const [customerId, setCustomerId] = useState(user.customerId ?? '');
  const setRoleMutation = useMutation(
    trpc.users.setRole.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
        onDone();
      },
    }),
  );
  const problem = setRoleMutation.isError ? describeProblem(setRoleMutation.error) : null;
  const errors = { role: fieldMessage(problem, 'role'), customerId: fieldMessage(problem, 'customerId') };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setRoleMutation.mutate({ id: user.id, role, customerId: role === 'customer' ? customerId : null });
  };
  return (
    <form className="form form--grid" onSubmit={submit} noValidate aria-label={`Role of ${user.email}`}>
      <p className="field--wide small">
        <strong>{user.name}</strong> <span className="mono muted">{user.email}</span>
        {isSelf ? <span className="muted"> · you cannot remove your own administrator role</span> : null}
      </p>
      <RoleFields
        id={id}
        role={role}
        customerId={customerId}
        onRole={setRole}
        onCustomer={setCustomerId}
        errors={errors}
      />
      {problem && !errors.role && !errors.customerId ? (
        <p className="form__error field--wide" role="alert">
          {problem.message}
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button
          type="submit"
          className="button button--primary button--small"
          disabled={setRoleMutation.isPending}
        >
          Save role
        </button>
        <button type="button" className="button button--small button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * A temporary password for a user who lost theirs: generated (shown here once) or typed by the
 * administrator. The user's sessions end, and they must choose a new password at the next sign-in.
 */
function ResetPassword({ user, onDone }: { user: User; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [mode, setMode] = useState<'generate' | 'set'>('generate');
  const [password, setPassword] = useState('');
  const reset = useMutation(
    trpc.users.resetPassword.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
    }),
  );
  const problem = reset.isError ? describeProblem(reset.error) : null;
  const passwordError = fieldMessage(problem, 'password');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    reset.mutate({ id: user.id, password: mode === 'set' ? password : undefined });
  };
  if (reset.isSuccess) {
    return (
      <div className="form" role="status" aria-label={`Password of ${user.email} reset`}>
        {reset.data.temporaryPassword !== null ? (
          <p>
            Temporary password for {user.email}:{' '}
            <code className="mono" data-temporary-password>
              {reset.data.temporaryPassword}
            </code>
            <br />
            <span className="muted small">
              Shown this once. Give it to the user by a separate channel; they choose their own at the next
              sign-in.
            </span>
          </p>
        ) : (
          <p>The temporary password is set; {user.email} chooses their own at the next sign-in.</p>
        )}
        <button type="button" className="button button--small" onClick={onDone}>
          Done
        </button>
      </div>
    );
  }
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={`Reset password of ${user.email}`}
    >
      <p className="field--wide small">
        <strong>{user.name}</strong> <span className="mono muted">{user.email}</span>
        <span className="muted">
          {' '}
          · their sessions end, and they must choose a new password at the next sign-in
        </span>
      </p>
      <fieldset className="field field--wide">
        <legend>Temporary password</legend>
        <label>
          <input
            type="radio"
            name={`${id}-mode`}
            checked={mode === 'generate'}
            onChange={() => setMode('generate')}
          />{' '}
          Generate one and show it to me once
        </label>
        <label>
          <input type="radio" name={`${id}-mode`} checked={mode === 'set'} onChange={() => setMode('set')} />{' '}
          Set it myself
        </label>
      </fieldset>
      {mode === 'set' ? (
        <div className="field field--wide">
          <label htmlFor={`${id}-password`}>Temporary password</label>
          <input
            id={`${id}-password`}
            type="text"
            autoComplete="off"
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
      ) : null}
      {problem && !passwordError ? (
        <p className="form__error field--wide" role="alert">
          {problem.message}
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary button--small" disabled={reset.isPending}>
          Reset password
        </button>
        <button type="button" className="button button--small button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function CreateUser() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [customerId, setCustomerId] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setCreated(email.trim().toLowerCase());
        setEmail('');
        setName('');
        setPassword('');
        setCustomerId('');
        await queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() });
      },
    }),
  );
  const problem = create.isError ? describeProblem(create.error) : null;
  const errors = {
    email: fieldMessage(problem, 'email'),
    name: fieldMessage(problem, 'name'),
    password: fieldMessage(problem, 'password'),
    role: fieldMessage(problem, 'role'),
    customerId: fieldMessage(problem, 'customerId'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({ email, name, password, role, customerId: role === 'customer' ? customerId : null });
  };
  const input = (
    field: 'email' | 'name' | 'password',
    label: string,
    value: string,
    set: (value: string) => void,
    type: string,
    autoComplete: string,
    hint?: string,
  ) => (
    <div className="field">
      <label htmlFor={`${id}-${field}`}>{label}</label>
      <input
        id={`${id}-${field}`}
        type={type}
        value={value}
        autoComplete={autoComplete}
        onChange={(event) => set(event.target.value)}
        aria-invalid={errors[field] ? true : undefined}
        aria-describedby={errors[field] ? `${id}-${field}-error` : hint ? `${id}-${field}-hint` : undefined}
      />
      {errors[field] ? (
        <p id={`${id}-${field}-error`} className="field__error">
          {errors[field]}
        </p>
      ) : hint ? (
        <p id={`${id}-${field}-hint`} className="field__hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
  return (
    <Panel
      title="Create a user"
      description="The password is stored as an Argon2id hash; tell the user to keep it safe."
      name="create-user"
    >
      <form className="form form--grid" onSubmit={submit} noValidate>
        {input('name', 'Name', name, setName, 'text', 'off')}
        {input('email', 'Email', email, setEmail, 'email', 'off')}
        {input(
          'password',
          'Initial password',
          password,
          setPassword,
          'password',
          'new-password',
          'At least 12 characters.',
        )}
        <RoleFields
          id={`${id}-new`}
          role={role}
          customerId={customerId}
          onRole={setRole}
          onCustomer={setCustomerId}
          errors={errors}
        />
        {problem && Object.values(errors).every((message) => message === undefined) ? (
          <p className="form__error field--wide" role="alert">
            {problem.message}
          </p>
        ) : null}
        {created ? (
          <p className="form__success field--wide" role="status">
            Created {created}.
          </p>
        ) : null}
        <div className="field--wide">
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create user'}
          </button>
        </div>
      </form>
    </Panel>
  );
}
