'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import type { EventType } from '@meterops/domain/events';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../lib/form-errors';
import { deliveryStatuses, eventTypeLabels, subscribableEventTypes } from '../../lib/webhook-params';
import { useTRPC, type RouterOutputs } from '../../trpc/client';

type Endpoint = RouterOutputs['webhooks']['list']['endpoints'][number];
type DeliveryStatus = (typeof deliveryStatuses)[number];

/** Webhook endpoints with their subscriptions, and the delivery log. */
export function WebhooksAdmin() {
  const trpc = useTRPC();
  const endpoints = useQuery(trpc.webhooks.list.queryOptions({}));
  const [editing, setEditing] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [logEndpoint, setLogEndpoint] = useState<string | undefined>(undefined);
  return (
    <div className="dashboard">
      {secret ? (
        <div className="card" role="status" aria-label="Signing secret" data-panel="webhook-secret">
          <p>
            Signing secret for <span className="mono">{secret.url}</span>:{' '}
            <code className="mono" data-webhook-secret>
              {secret.secret}
            </code>
            <br />
            <span className="muted small">
              Shown this once. Store it with the receiver, which verifies each body with it (Standard
              Webhooks).
            </span>
          </p>
          <button type="button" className="button button--small" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
      <Panel
        title="New webhook"
        description="Events are signed, retried for about a day with backoff, and sent to each endpoint in order."
        name="webhook-create"
      >
        <EndpointForm onSaved={(saved) => setSecret(saved)} />
      </Panel>
      <Panel
        title="Webhooks"
        description="Disabling an endpoint stops queuing events for it."
        name="webhooks"
      >
        <QueryView
          query={endpoints}
          loadingLabel="Loading webhooks…"
          isEmpty={(data) => data.endpoints.length === 0}
          empty={<p className="muted">No webhook yet.</p>}
        >
          {(data) => (
            <div className="table-scroll">
              <table className="table table--compact" data-table="webhooks">
                <caption className="visually-hidden">Webhook endpoints</caption>
                <thead>
                  <tr>
                    <th scope="col">Endpoint</th>
                    <th scope="col">Events</th>
                    <th scope="col">Filter</th>
                    <th scope="col">Status</th>
                    <th scope="col">Queue</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.endpoints.map((endpoint) =>
                    editing === endpoint.id ? (
                      <tr key={endpoint.id} className="row--form" data-webhook={endpoint.url}>
                        <td colSpan={6}>
                          <EndpointForm
                            endpoint={endpoint}
                            onSaved={() => setEditing(null)}
                            onCancel={() => setEditing(null)}
                          />
                        </td>
                      </tr>
                    ) : (
                      <EndpointRow
                        key={endpoint.id}
                        endpoint={endpoint}
                        onEdit={() => setEditing(endpoint.id)}
                        onSecret={(value) => setSecret({ url: endpoint.url, secret: value })}
                        onShowLog={() => setLogEndpoint(endpoint.id)}
                      />
                    ),
                  )}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Panel>
      <DeliveryLog
        endpointId={logEndpoint}
        endpoints={endpoints.data?.endpoints ?? []}
        onEndpoint={setLogEndpoint}
      />
    </div>
  );
}

function filterText(endpoint: Endpoint): string {
  const parts = [
    endpoint.filter.regions.length > 0 ? `regions ${endpoint.filter.regions.join(', ')}` : null,
    endpoint.filter.segments.length > 0 ? `segments ${endpoint.filter.segments.join(', ')}` : null,
    endpoint.filter.meterIds.length > 0 ? `${endpoint.filter.meterIds.length} meters` : null,
  ].filter((part) => part !== null);
  return parts.length === 0 ? 'all meters' : parts.join('; ');
}

function EndpointRow({
  endpoint,
  onEdit,
  onSecret,
  onShowLog,
}: {
  endpoint: Endpoint;
  onEdit: () => void;
  onSecret: (secret: string) => void;
  onShowLog: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const setEnabled = useMutation(trpc.webhooks.setEnabled.mutationOptions({ onSuccess: refresh }));
  const rotate = useMutation(
    trpc.webhooks.rotateSecret.mutationOptions({
      onSuccess: async (data) => {
        onSecret(data.secret);
        await refresh();
      },
    }),
  );
  const sendTest = useMutation(trpc.webhooks.sendTest.mutationOptions({ onSuccess: refresh }));
  const failed = [setEnabled, rotate, sendTest].find((mutation) => mutation.isError);
  return (
    <tr data-webhook={endpoint.url} className={endpoint.enabled ? undefined : 'row--disabled'}>
      <th scope="row">
        <span className="mono">{endpoint.url}</span>
        {endpoint.description ? (
          <>
            <br />
            <span className="muted small">{endpoint.description}</span>
          </>
        ) : null}
        <br />
        <span className="muted small">
          secret {endpoint.secretHint}
          {endpoint.previousSecretExpiresAt
            ? ` · previous secret signs until ${formatUtc(endpoint.previousSecretExpiresAt, { seconds: false })}`
            : ''}
        </span>
      </th>
      <td className="small-cell">
        {endpoint.eventTypes.map((type) => (
          <span key={type} className="tag tag--muted mono">
            {type}
          </span>
        ))}
      </td>
      <td className="small-cell">{filterText(endpoint)}</td>
      <td>
        {endpoint.enabled ? (
          <span className="badge badge--up">Enabled</span>
        ) : (
          <span className="badge badge--down">Disabled</span>
        )}
        {failed ? (
          <p className="field__error" role="alert">
            {describeProblem(failed.error).message}
          </p>
        ) : null}
        {sendTest.isSuccess ? (
          <p className="small muted" role="status">
            Test event queued (delivery {sendTest.data.deliveryId}).
          </p>
        ) : null}
      </td>
      <td className="small-cell">
        {endpoint.pendingDeliveries} pending
        {endpoint.failedLastDay > 0 ? (
          <>
            <br />
            <span className="badge badge--down">{endpoint.failedLastDay} failed in 24 h</span>
          </>
        ) : null}
      </td>
      <td>
        <div className="row-actions">
          <button
            type="button"
            className="button button--small"
            onClick={onEdit}
            aria-label={`Edit ${endpoint.url}`}
          >
            Edit
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={sendTest.isPending || !endpoint.enabled}
            onClick={() => sendTest.mutate({ id: endpoint.id })}
            aria-label={`Send a test event to ${endpoint.url}`}
          >
            Send test event
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={rotate.isPending}
            onClick={() => rotate.mutate({ id: endpoint.id })}
            aria-label={`Rotate the secret of ${endpoint.url}`}
          >
            Rotate secret
          </button>
          <button
            type="button"
            className="button button--small"
            disabled={setEnabled.isPending}
            onClick={() => setEnabled.mutate({ id: endpoint.id, enabled: !endpoint.enabled })}
            aria-label={`${endpoint.enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}
          >
            {endpoint.enabled ? 'Disable' : 'Enable'}
          </button>
          <button type="button" className="button button--small button--quiet" onClick={onShowLog}>
            Deliveries
          </button>
        </div>
      </td>
    </tr>
  );
}

function EndpointForm({
  endpoint,
  onSaved,
  onCancel,
}: {
  endpoint?: Endpoint;
  onSaved: (saved: { url: string; secret: string }) => void;
  onCancel?: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [types, setTypes] = useState<EventType[]>(endpoint?.eventTypes ?? []);
  const [regions, setRegions] = useState(endpoint?.filter.regions.join(', ') ?? '');
  const [segments, setSegments] = useState(endpoint?.filter.segments.join(', ') ?? '');
  const [meterIds, setMeterIds] = useState(endpoint?.filter.meterIds.join(', ') ?? '');
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: async (data) => {
        onSaved({ url: data.endpoint.url, secret: data.secret });
        setUrl('');
        setDescription('');
        setTypes([]);
        setRegions('');
        setSegments('');
        setMeterIds('');
        await refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.webhooks.update.mutationOptions({
      onSuccess: async () => {
        await refresh();
        onSaved({ url, secret: '' });
      },
    }),
  );
  const mutation = endpoint ? update : create;
  const problem: FormProblem | null = mutation.isError ? describeProblem(mutation.error) : null;
  const errors = {
    url: fieldMessage(problem, 'url'),
    description: fieldMessage(problem, 'description'),
    eventTypes: fieldMessage(problem, 'eventTypes'),
    regions: fieldMessage(problem, 'regions'),
    segments: fieldMessage(problem, 'segments'),
    meterIds: fieldMessage(problem, 'meterIds'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const input = { url, description, eventTypes: types, regions, segments, meterIds };
    if (endpoint) update.mutate({ id: endpoint.id, ...input });
    else create.mutate(input);
  };
  const field = (
    name: 'url' | 'description' | 'regions' | 'segments' | 'meterIds',
    label: string,
    value: string,
    onChange: (value: string) => void,
    hint?: string,
  ) => (
    <div className={`field${name === 'url' || name === 'meterIds' ? ' field--wide' : ''}`}>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        name={name}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `${id}-${name}-error` : hint ? `${id}-${name}-hint` : undefined}
      />
      {errors[name] ? (
        <p id={`${id}-${name}-error`} className="field__error">
          {errors[name]}
        </p>
      ) : hint ? (
        <p id={`${id}-${name}-hint`} className="field__hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={endpoint ? `Edit ${endpoint.url}` : 'New webhook'}
    >
      {field('url', 'URL', url, setUrl, 'https:// only; internal and metadata addresses are refused.')}
      {field('description', 'Description', description, setDescription)}
      <fieldset
        className="field field--wide"
        aria-invalid={errors.eventTypes ? true : undefined}
        aria-describedby={errors.eventTypes ? `${id}-types-error` : undefined}
      >
        <legend>Events</legend>
        {subscribableEventTypes.map((type) => (
          <label key={type}>
            <input
              type="checkbox"
              checked={types.includes(type)}
              onChange={(event) =>
                setTypes(event.target.checked ? [...types, type] : types.filter((entry) => entry !== type))
              }
            />{' '}
            {eventTypeLabels[type]} <span className="mono muted small">{type}</span>
          </label>
        ))}
        {errors.eventTypes ? (
          <p id={`${id}-types-error`} className="field__error">
            {errors.eventTypes}
          </p>
        ) : null}
      </fieldset>
      {field('regions', 'Regions', regions, setRegions, 'Meter events of these regions only; empty for all.')}
      {field('segments', 'Segments', segments, setSegments, 'residential, commercial; empty for both.')}
      {field(
        'meterIds',
        'Meter ids',
        meterIds,
        setMeterIds,
        'These meters only, separated by commas; empty for all.',
      )}
      {problem && Object.values(errors).every((message) => message === undefined) ? (
        <p className="form__error field--wide" role="alert">
          {problem.message}
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary button--small" disabled={mutation.isPending}>
          {endpoint ? 'Save webhook' : 'Create webhook'}
        </button>
        {onCancel ? (
          <button type="button" className="button button--small button--quiet" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function DeliveryLog({
  endpointId,
  endpoints,
  onEndpoint,
}: {
  endpointId: string | undefined;
  endpoints: Endpoint[];
  onEndpoint: (id: string | undefined) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [status, setStatus] = useState<DeliveryStatus | undefined>(undefined);
  const [open, setOpen] = useState<number | null>(null);
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ endpointId, status }),
    refetchInterval: 5_000,
  });
  const redeliver = useMutation(
    trpc.webhooks.redeliver.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
    }),
  );
  return (
    <Panel
      title="Delivery log"
      description="Every attempt with its response code; a failed or delivered event can be sent again."
      name="webhook-deliveries"
      actions={
        <>
          <label htmlFor={`${id}-endpoint`} className="visually-hidden">
            Endpoint
          </label>
          <select
            id={`${id}-endpoint`}
            value={endpointId ?? ''}
            onChange={(event) => onEndpoint(event.target.value === '' ? undefined : event.target.value)}
          >
            <option value="">All endpoints</option>
            {endpoints.map((endpoint) => (
              <option key={endpoint.id} value={endpoint.id}>
                {endpoint.url}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-status`} className="visually-hidden">
            Status
          </label>
          <select
            id={`${id}-status`}
            value={status ?? ''}
            onChange={(event) =>
              setStatus(event.target.value === '' ? undefined : (event.target.value as DeliveryStatus))
            }
          >
            <option value="">Any status</option>
            {deliveryStatuses.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </>
      }
    >
      {redeliver.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(redeliver.error).message}
        </p>
      ) : null}
      <QueryView
        query={deliveries}
        loadingLabel="Loading deliveries…"
        isEmpty={(data) => data.deliveries.length === 0}
        empty={<p className="muted">No delivery yet.</p>}
      >
        {(data) => (
          <div className="table-scroll">
            <table className="table table--compact" data-table="webhook-deliveries">
              <caption className="visually-hidden">Webhook deliveries, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Delivery</th>
                  <th scope="col">Event</th>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last response</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.deliveries.map((delivery) => (
                  <DeliveryRows
                    key={delivery.id}
                    delivery={delivery}
                    open={open === delivery.id}
                    onToggle={() => setOpen(open === delivery.id ? null : delivery.id)}
                    onRedeliver={() => redeliver.mutate({ id: delivery.id })}
                    redelivering={redeliver.isPending}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Panel>
  );
}

type Delivery = RouterOutputs['webhooks']['deliveries']['deliveries'][number];

const statusBadge: Record<DeliveryStatus, string> = {
  pending: 'badge',
  delivering: 'badge',
  succeeded: 'badge badge--up',
  failed: 'badge badge--down',
};

function DeliveryRows({
  delivery,
  open,
  onToggle,
  onRedeliver,
  redelivering,
}: {
  delivery: Delivery;
  open: boolean;
  onToggle: () => void;
  onRedeliver: () => void;
  redelivering: boolean;
}) {
  const trpc = useTRPC();
  const detail = useQuery({ ...trpc.webhooks.delivery.queryOptions({ id: delivery.id }), enabled: open });
  return (
    <>
      <tr data-delivery={delivery.id}>
        <th scope="row" className="mono">
          {delivery.id}
          {delivery.redeliveryOf !== null ? (
            <span className="muted small"> (again of {delivery.redeliveryOf})</span>
          ) : null}
        </th>
        <td className="small-cell">
          <span className="mono">{delivery.eventType}</span>
          <br />
          <span className="muted">
            evt_{delivery.eventId} · {formatUtc(delivery.occurredAt)}
          </span>
        </td>
        <td className="small-cell mono">{delivery.endpointUrl}</td>
        <td>
          <span className={statusBadge[delivery.status]}>{delivery.status}</span>
          {delivery.nextAttemptAt ? (
            <span className="muted small"> next {formatUtc(delivery.nextAttemptAt)}</span>
          ) : null}
        </td>
        <td>{delivery.attempts}</td>
        <td className="small-cell">
          {delivery.lastStatusCode !== null ? <span className="mono">{delivery.lastStatusCode}</span> : null}
          {delivery.lastError ? <span className="muted"> {delivery.lastError}</span> : null}
          {delivery.lastStatusCode === null && delivery.lastError === null ? (
            <span className="muted">–</span>
          ) : null}
        </td>
        <td>
          <div className="row-actions">
            <button
              type="button"
              className="button button--small button--quiet"
              onClick={onToggle}
              aria-expanded={open}
            >
              {open ? 'Hide attempts' : 'Attempts'}
            </button>
            {delivery.status === 'delivering' ? null : (
              <button
                type="button"
                className="button button--small"
                disabled={redelivering}
                onClick={onRedeliver}
                aria-label={`Send delivery ${delivery.id} again`}
              >
                {delivery.status === 'pending' ? 'Retry now' : 'Redeliver'}
              </button>
            )}
          </div>
        </td>
      </tr>
      {open ? (
        <tr className="row--form">
          <td colSpan={7}>
            <QueryView query={detail} loadingLabel="Loading attempts…">
              {(data) => (
                <>
                  <table className="table table--compact" data-table="webhook-attempts">
                    <caption className="visually-hidden">Attempts of delivery {delivery.id}</caption>
                    <thead>
                      <tr>
                        <th scope="col">#</th>
                        <th scope="col">Started</th>
                        <th scope="col">Duration</th>
                        <th scope="col">Code</th>
                        <th scope="col">Error</th>
                        <th scope="col">Response</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.attemptLog.map((attempt) => (
                        <tr key={attempt.id}>
                          <td>{attempt.attempt}</td>
                          <td className="small-cell">{formatUtc(attempt.startedAt)}</td>
                          <td>{attempt.durationMs} ms</td>
                          <td className="mono">{attempt.statusCode ?? '–'}</td>
                          <td className="small-cell">{attempt.error ?? ''}</td>
                          <td className="small-cell mono">{attempt.responseBody ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                  <details>
                    <summary>Body data</summary>
                    <pre className="mono small">{JSON.stringify(data.payload, null, 2)}</pre>
                  </details>
                </>
              )}
            </QueryView>
          </td>
        </tr>
      ) : null}
    </>
  );
}
