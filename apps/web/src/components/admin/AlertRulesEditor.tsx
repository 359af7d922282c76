'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../lib/form-errors';
import { useTRPC } from '../../trpc/client';

type Severity = 'info' | 'warning' | 'critical';
const severities: Severity[] = ['info', 'warning', 'critical'];

/** Params whose value is one of a few words; every other param is a number. */
const choices: Record<string, string[]> = { status: ['WARN', 'STALL', 'STOP'], deadline: ['D+1', 'D+5'] };

const paramLabels: Record<string, string> = {
  status: 'Fire at status (or worse)',
  windowSeconds: 'Evaluation window (s)',
  maxAgeSeconds: 'Longest time without a stored batch (s)',
  silentSeconds: 'Worker silent for (s)',
  targetPercent: 'Target: actual or estimated intervals (%)',
  deadline: 'Judged from the end of',
  lookbackDays: 'Days looked back',
  windowMinutes: 'Window (min)',
  maxCount: 'Rejects in the window above',
  usualFactor: 'Or this many times the usual rate',
  usualMinCount: '…when at least this many',
  baselineDays: 'Usual rate over (days)',
  lookbackHours: 'Runs looked back (h)',
  durationFactor: 'Running longer than usual × this',
  minRunningMinutes: '…and at least (min)',
};

interface Rule {
  id: string;
  kind: string;
  name: string;
  enabled: boolean;
  severity: Severity;
  forSeconds: number;
  clearSeconds: number;
  params: Record<string, unknown>;
  defaults: Record<string, unknown>;
  updatedAt: Date;
  updatedBy: string | null;
}

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p id={`${id}-error`} className="field__error">
      {message}
    </p>
  ) : null;
}

function RuleForm({ rule }: { rule: Rule }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [enabled, setEnabled] = useState(rule.enabled);
  const [severity, setSeverity] = useState<Severity>(rule.severity);
  const [forSeconds, setForSeconds] = useState(String(rule.forSeconds));
  const [clearSeconds, setClearSeconds] = useState(String(rule.clearSeconds));
  const [params, setParams] = useState<Record<string, string>>(
    Object.fromEntries(Object.entries(rule.params).map(([key, value]) => [key, String(value)])),
  );
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const [saved, setSaved] = useState(false);
  const save = useMutation(
    trpc.alerts.updateRule.mutationOptions({
      onSuccess: async () => {
        setProblem(null);
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.alerts.config.pathKey() });
      },
      onError: (error) => {
        setSaved(false);
        setProblem(describeProblem(error));
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({
      id: rule.id,
      enabled,
      severity,
      forSeconds: Number(forSeconds),
      clearSeconds: Number(clearSeconds),
      params: Object.fromEntries(
        Object.entries(params).map(([key, value]) => [key, key in choices ? value : Number(value)]),
      ),
    });
  };
  const numberField = (
    name: string,
    label: string,
    value: string,
    onChange: (value: string) => void,
    hint?: string,
  ) => (
    <div className="field" key={name}>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        type="number"
        step="any"
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={fieldMessage(problem, name) ? true : undefined}
        aria-describedby={fieldMessage(problem, name) ? `${id}-${name}-error` : undefined}
      />
      {hint ? <span className="muted">{hint}</span> : null}
      <FieldError id={`${id}-${name}`} message={fieldMessage(problem, name)} />
    </div>
  );
  return (
    <form className="form form--grid" onSubmit={submit} noValidate aria-label={rule.name} data-rule={rule.id}>
      <h3 className="field--wide">
        {rule.name} <span className="muted">({rule.id})</span>
      </h3>
      <label className="field choice__option">
        <input type="checkbox" checked={enabled} onChange={(event) => setEnabled(event.target.checked)} />{' '}
        Enabled
      </label>
      <div className="field">
        <label htmlFor={`${id}-severity`}>Severity</label>
        <select
          id={`${id}-severity`}
          value={severity}
          onChange={(event) => setSeverity(event.target.value as Severity)}
        >
          {severities.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </div>
      {numberField('forSeconds', 'Holds for (s) before firing', forSeconds, setForSeconds)}
      {numberField('clearSeconds', 'Clear for (s) before resolving', clearSeconds, setClearSeconds)}
      {Object.keys(params).map((key) =>
        key in choices ? (
          <div className="field" key={key}>
            <label htmlFor={`${id}-${key}`}>{paramLabels[key] ?? key}</label>
            <select
              id={`${id}-${key}`}
              value={params[key]}
              onChange={(event) => setParams({ ...params, [key]: event.target.value })}
            >
              {(choices[key] ?? []).map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
            <span className="muted">Default {String(rule.defaults[key])}</span>
            <FieldError id={`${id}-${key}`} message={fieldMessage(problem, key)} />
          </div>
        ) : (
          numberField(
            key,
            paramLabels[key] ?? key,
            params[key] ?? '',
            (value) => setParams({ ...params, [key]: value }),
            `Default ${String(rule.defaults[key])}`,
          )
        ),
      )}
      <div className="field">
        <button type="submit" className="button" disabled={save.isPending}>
          Save rule
        </button>
        {saved ? <span role="status">Saved.</span> : null}
        {rule.updatedBy ? (
          <span className="muted">
            Changed by {rule.updatedBy}, {formatUtc(rule.updatedAt)}
          </span>
        ) : null}
      </div>
      {problem && Object.keys(problem.fieldErrors).length === 0 ? (
        <p className="form__error field--wide" role="alert">
          {problem.message}
        </p>
      ) : null}
    </form>
  );
}

interface ChannelDraft {
  id?: number;
  name: string;
  kind: 'email' | 'webhook';
  enabled: boolean;
  emailTo: string;
  webhookEndpointId: string;
  ruleIds: string[];
  minSeverity: Severity;
  sendResolved: boolean;
}

const emptyChannel: ChannelDraft = {
  name: '',
  kind: 'email',
  enabled: true,
  emailTo: '',
  webhookEndpointId: '',
  ruleIds: [],
  minSeverity: 'warning',
  sendResolved: true,
};

function ChannelForm({
  draft,
  rules,
  endpoints,
  onDone,
}: {
  draft: ChannelDraft;
  rules: { id: string; name: string }[];
  endpoints: { id: string; url: string; description: string; enabled: boolean }[];
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [channel, setChannel] = useState(draft);
  const [problem, setProblem] = useState<FormProblem | null>(null);
  const save = useMutation(
    trpc.alerts.saveChannel.mutationOptions({
      onSuccess: async () => {
        setProblem(null);
        await queryClient.invalidateQueries({ queryKey: trpc.alerts.config.pathKey() });
        onDone();
      },
      onError: (error) => setProblem(describeProblem(error)),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({
      id: channel.id,
      name: channel.name,
      kind: channel.kind,
      enabled: channel.enabled,
      emailTo: channel.emailTo
        .split(/[,\s]+/)
        .map((address) => address.trim())
        .filter(Boolean),
      webhookEndpointId: channel.webhookEndpointId === '' ? null : channel.webhookEndpointId,
      ruleIds: channel.ruleIds,
      minSeverity: channel.minSeverity,
      sendResolved: channel.sendResolved,
    });
  };
  const error = (field: string) => (
    <FieldError id={`${id}-${field}`} message={fieldMessage(problem, field)} />
  );
  return (
    <form className="form form--grid" onSubmit={submit} noValidate aria-label="Channel">
      <div className="field">
        <label htmlFor={`${id}-name`}>Name</label>
        <input
          id={`${id}-name`}
          value={channel.name}
          onChange={(event) => setChannel({ ...channel, name: event.target.value })}
          aria-invalid={fieldMessage(problem, 'name') ? true : undefined}
        />
        {error('name')}
      </div>
      <div className="field">
        <label htmlFor={`${id}-kind`}>Kind</label>
        <select
          id={`${id}-kind`}
          value={channel.kind}
          onChange={(event) => setChannel({ ...channel, kind: event.target.value as 'email' | 'webhook' })}
        >
          <option value="email">E-mail</option>
          <option value="webhook">Webhook</option>
        </select>
      </div>
      {channel.kind === 'email' ? (
        <div className="field field--wide">
          <label htmlFor={`${id}-emailTo`}>Addresses (comma separated)</label>
          <input
            id={`${id}-emailTo`}
            value={channel.emailTo}
            onChange={(event) => setChannel({ ...channel, emailTo: event.target.value })}
            aria-invalid={fieldMessage(problem, 'emailTo') ? true : undefined}
          />
          {error('emailTo')}
        </div>
      ) : (
        <div className="field field--wide">
          <label htmlFor={`${id}-endpoint`}>Webhook endpoint</label>
          <select
            id={`${id}-endpoint`}
            value={channel.webhookEndpointId}
            onChange={(event) => setChannel({ ...channel, webhookEndpointId: event.target.value })}
            aria-invalid={fieldMessage(problem, 'webhookEndpointId') ? true : undefined}
          >
            <option value="">Choose…</option>
            {endpoints.map((endpoint) => (
              <option key={endpoint.id} value={endpoint.id}>
                {endpoint.description || endpoint.url}
                {endpoint.enabled ? '' : ' (disabled)'}
              </option>
            ))}
          </select>
          {error('webhookEndpointId')}
        </div>
      )}
      <div className="field">
        <label htmlFor={`${id}-severity`}>From severity</label>
        <select
          id={`${id}-severity`}
          value={channel.minSeverity}
          onChange={(event) => setChannel({ ...channel, minSeverity: event.target.value as Severity })}
        >
          {severities.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </div>
      <fieldset className="field field--wide choice">
        <legend>Rules (none ticked: every rule)</legend>
        {rules.map((rule) => (
          <label key={rule.id} className="choice__option">
            <input
              type="checkbox"
              checked={channel.ruleIds.includes(rule.id)}
              onChange={(event) =>
                setChannel({
                  ...channel,
                  ruleIds: event.target.checked
                    ? [...channel.ruleIds, rule.id]
                    : channel.ruleIds.filter((ruleId) => ruleId !== rule.id),
                })
              }
            />{' '}
            {rule.name}
          </label>
        ))}
      </fieldset>
      <label className="field choice__option">
        <input
          type="checkbox"
          checked={channel.sendResolved}
          onChange={(event) => setChannel({ ...channel, sendResolved: event.target.checked })}
        />{' '}
        Also send resolutions
      </label>
      <label className="field choice__option">
        <input
          type="checkbox"
          checked={channel.enabled}
          onChange={(event) => setChannel({ ...channel, enabled: event.target.checked })}
        />{' '}
        Enabled
      </label>
      <div className="field">
        <button type="submit" className="button" disabled={save.isPending}>
          Save channel
        </button>
      </div>
      {problem && Object.keys(problem.fieldErrors).length === 0 ? (
        <p className="form__error field--wide" role="alert">
          {problem.message}
        </p>
      ) : null}
    </form>
  );
}

/** Every alert rule with its thresholds and defaults; the channels and their routing. */
export function AlertRulesEditor() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const config = useQuery(trpc.alerts.config.queryOptions());
  const [editing, setEditing] = useState<ChannelDraft | null>(null);
  const remove = useMutation(
    trpc.alerts.deleteChannel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.alerts.config.pathKey() }),
    }),
  );
  return (
    <>
      <Panel
        title="Channels"
        description="Where alerts go. A channel takes the rules ticked (or every rule) from a severity up; silenced alerts send nothing."
        name="alert-channels"
        actions={
          <button type="button" className="button" onClick={() => setEditing({ ...emptyChannel })}>
            New channel
          </button>
        }
      >
        {editing ? (
          <ChannelForm
            key={editing.id ?? 'new'}
            draft={editing}
            rules={config.data?.rules ?? []}
            endpoints={config.data?.endpoints ?? []}
            onDone={() => setEditing(null)}
          />
        ) : null}
        <QueryView
          query={config}
          loadingLabel="Loading channels…"
          isEmpty={(data) => data.channels.length === 0}
          empty={<EmptyState title="No channel yet">Alerts show in the portal only.</EmptyState>}
        >
          {(data) => (
            <table className="table table--compact" data-table="alert-channels">
              <caption className="visually-hidden">Channels</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Sends to</th>
                  <th scope="col">Routing</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.channels.map((channel) => (
                  <tr key={channel.id}>
                    <td>
                      {channel.name}
                      {channel.enabled ? '' : ' (disabled)'}
                    </td>
                    <td>
                      {channel.kind === 'email'
                        ? channel.emailTo.join(', ')
                        : `Webhook ${data.endpoints.find((endpoint) => endpoint.id === channel.webhookEndpointId)?.url ?? channel.webhookEndpointId ?? ''}`}
                    </td>
                    <td>
                      {channel.ruleIds.length === 0 ? 'Every rule' : channel.ruleIds.join(', ')}, from{' '}
                      {channel.minSeverity}
                      {channel.sendResolved ? ', with resolutions' : ''}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button button--ghost"
                        onClick={() =>
                          setEditing({
                            id: channel.id,
                            name: channel.name,
                            kind: channel.kind,
                            enabled: channel.enabled,
                            emailTo: channel.emailTo.join(', '),
                            webhookEndpointId: channel.webhookEndpointId ?? '',
                            ruleIds: channel.ruleIds,
                            minSeverity: channel.minSeverity,
                            sendResolved: channel.sendResolved,
                          })
                        }
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button button--ghost"
                        onClick={() => remove.mutate({ id: channel.id })}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Panel>
      <Panel
        title="Rules"
        description="Evaluated by the worker every 30 s. An alert fires when its rule holds for the first duration and resolves when it has been clear for the second; docs/alerting.md says what to do for each."
        name="alert-rules"
      >
        <QueryView query={config} loadingLabel="Loading rules…">
          {(data) => (
            <div className="stack">
              {data.rules.map((rule) => (
                <RuleForm key={`${rule.id}-${rule.updatedAt.getTime()}`} rule={rule} />
              ))}
            </div>
          )}
        </QueryView>
      </Panel>
    </>
  );
}
