'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import {
  apiScopeDescriptions,
  apiScopes,
  customerKeyScopes,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  type ApiScope,
} from '@meterops/domain/api-keys';
import { useTRPC } from '../../trpc/client';

/** API keys: create (the secret shown once), list with last use, revoke. */
export function ApiKeysAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() }),
    }),
  );
  const revokeProblem = revoke.isError ? describeProblem(revoke.error) : null;
  return (
    <div className="dashboard">
      <CreateApiKey />
      <Panel title="Keys" description="Revoking a key refuses its next request." name="api-keys">
        {revokeProblem ? (
          <p className="field__error" role="alert">
            {revokeProblem.message}
          </p>
        ) : null}
        <QueryView query={keys} loadingLabel="Loading API keys…">
          {(data) =>
            data.length === 0 ? (
              <p className="small">No API keys yet.</p>
            ) : (
              <div className="table-scroll">
                <table className="table table--compact" data-table="api-keys">
                  <caption className="visually-hidden">API keys</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Key</th>
                      <th scope="col">Scopes</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Limit / min</th>
                      <th scope="col">Created</th>
                      <th scope="col">Expires</th>
                      <th scope="col">Last used</th>
                      <th scope="col">Status</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.map((key) => {
                      const expired = key.expiresAt !== null && key.expiresAt.getTime() <= Date.now();
                      const status = key.revokedAt ? 'revoked' : expired ? 'expired' : 'active';
                      return (
                        <tr key={key.id}>
                          <td>{key.name}</td>
                          <td>
                            <code>mo_{key.prefix}_…</code>
                          </td>
                          <td>{key.scopes.join(', ')}</td>
                          <td>{key.customerId ?? 'all'}</td>
                          <td>{key.rateLimitPerMinute}</td>
                          <td>
                            {formatUtc(key.createdAt)} by {key.createdBy}
                          </td>
                          <td>{key.expiresAt ? formatUtc(key.expiresAt) : 'never'}</td>
                          <td>{key.lastUsedAt ? formatUtc(key.lastUsedAt) : 'never'}</td>
                          <td>{key.revokedAt ? `revoked ${formatUtc(key.revokedAt)}` : status}</td>
                          <td>
                            {key.revokedAt ? null : (
                              <button
                                type="button"
                                className="button button--small"
                                aria-label={`Revoke ${key.name} (mo_${key.prefix})`}
                                disabled={revoke.isPending}
                                onClick={() => revoke.mutate({ id: key.id })}
                              >
                                Revoke
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryView>
      </Panel>
    </div>
  );
}

function CreateApiKey() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ApiScope[]>(['usage:read']);
  const [customerId, setCustomerId] = useState('');
  const [expiresAt, setExpiresAt] = useState('');
  const [rateLimit, setRateLimit] = useState(String(DEFAULT_RATE_LIMIT_PER_MINUTE));
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (result) => {
        setCreated({ name: result.key.name, secret: result.secret });
        setName('');
        setCustomerId('');
        setExpiresAt('');
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
      },
    }),
  );
  const problem = create.isError ? describeProblem(create.error) : null;
  const errors = {
    name: fieldMessage(problem, 'name'),
    scopes: fieldMessage(problem, 'scopes'),
    customerId: fieldMessage(problem, 'customerId'),
    expiresAt: fieldMessage(problem, 'expiresAt'),
    rateLimitPerMinute: fieldMessage(problem, 'rateLimitPerMinute'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    create.mutate({
      name,
      scopes,
      customerId: customerId.trim() || null,
      // The input is the browser's local time; Date reads it as such.
      expiresAt: expiresAt ? new Date(expiresAt) : null,
      rateLimitPerMinute: Number(rateLimit),
    });
  };
  const described = (field: keyof typeof errors, hint?: string) =>
    errors[field] ? `${id}-${field}-error` : hint ? `${id}-${field}-hint` : undefined;
  const message = (field: keyof typeof errors, hint?: string) =>
    errors[field] ? (
      <p id={`${id}-${field}-error`} className="field__error">
        {errors[field]}
      </p>
    ) : hint ? (
      <p id={`${id}-${field}-hint`} className="field__hint">
        {hint}
      </p>
    ) : null;
  const customerHint = `Optional: the key then reaches only this customer's meters (scopes ${customerKeyScopes.join(', ')} only).`;
  return (
    <Panel
      title="Create an API key"
      description="Send it as “Authorization: Bearer <key>”. Only a SHA-256 hash is stored: copy the key now."
      name="create-api-key"
    >
      {created ? (
        <div className="form" role="status" aria-label="New API key">
          <p>
            Key <strong>{created.name}</strong> — copy it now, it will not be shown again:
          </p>
          <p>
            <code data-secret="api-key">{created.secret}</code>
          </p>
        </div>
      ) : null}
      {problem && Object.keys(problem.fieldErrors).length === 0 ? (
        <p className="form__error" role="alert">
          {problem.message}
        </p>
      ) : null}
      <form className="form form--grid" onSubmit={submit} noValidate aria-label="Create an API key">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={described('name', 'Who uses it, for what')}
          />
          {message('name', 'Who uses it, for what')}
        </div>
        <fieldset className="field field--wide" aria-describedby={described('scopes')}>
          <legend>Scopes</legend>
          {apiScopes.map((scope) => (
            <label key={scope}>
              <input
                type="checkbox"
                checked={scopes.includes(scope)}
                onChange={(event) =>
                  setScopes((current) =>
                    event.target.checked ? [...current, scope] : current.filter((other) => other !== scope),
                  )
                }
              />{' '}
              <code>{scope}</code> — {apiScopeDescriptions[scope]}
            </label>
          ))}
          {message('scopes')}
        </fieldset>
        <div className="field">
          <label htmlFor={`${id}-customerId`}>Customer</label>
          <input
            id={`${id}-customerId`}
            value={customerId}
            onChange={(event) => setCustomerId(event.target.value)}
            aria-invalid={errors.customerId ? true : undefined}
            aria-describedby={described('customerId', customerHint)}
          />
          {message('customerId', customerHint)}
        </div>
        <div className="field">
          <label htmlFor={`${id}-expiresAt`}>Expires</label>
          <input
            id={`${id}-expiresAt`}
            type="datetime-local"
            value={expiresAt}
            onChange={(event) => setExpiresAt(event.target.value)}
            aria-invalid={errors.expiresAt ? true : undefined}
            aria-describedby={described('expiresAt', 'Empty: never')}
          />
          {message('expiresAt', 'Empty: never')}
        </div>
        <div className="field">
          <label htmlFor={`${id}-rateLimitPerMinute`}>Requests per minute</label>
          <input
            id={`${id}-rateLimitPerMinute`}
            type="number"
            min={1}
            value={rateLimit}
            onChange={(event) => setRateLimit(event.target.value)}
            aria-invalid={errors.rateLimitPerMinute ? true : undefined}
            aria-describedby={described('rateLimitPerMinute')}
          />
          {message('rateLimitPerMinute')}
        </div>
        <div className="field field--wide">
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            Create key
          </button>
        </div>
      </form>
    </Panel>
  );
}
