'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { Segmented } from '../ui/Segmented';
import { EmptyState, QueryView } from '../ui/States';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../lib/form-errors';
import { useTRPC } from '../../trpc/client';

type View = 'firing' | 'acknowledged' | 'resolved' | 'all';

const figure = (value: number | null, threshold: number | null) =>
  value === null
    ? '–'
    : `${Number.isInteger(value) ? value : value.toFixed(2)}${threshold === null ? '' : ` (threshold ${threshold})`}`;

/** Alerts operators work: what fired, the figure that fired it, a link to the page at that time. */
export function AlertsBoard({ initialAlertId }: { initialAlertId: number | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [view, setView] = useState<View>(initialAlertId === null ? 'firing' : 'all');
  const [ruleId, setRuleId] = useState('');
  const [subject, setSubject] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [notes, setNotes] = useState<Record<number, string>>({});
  const [silenceProblem, setSilenceProblem] = useState<FormProblem | null>(null);

  const alerts = useQuery(
    trpc.alerts.list.queryOptions(
      {
        view,
        ruleId: ruleId === '' ? undefined : ruleId,
        subject: subject === '' ? undefined : subject,
        from: from === '' ? undefined : new Date(`${from}T00:00:00Z`),
        to: to === '' ? undefined : new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000),
      },
      { refetchInterval: 30_000 },
    ),
  );
  const silences = useQuery(trpc.alerts.silences.queryOptions(undefined, { refetchInterval: 60_000 }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.alerts.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.alerts.count.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.alerts.silences.pathKey() }),
    ]);
  const acknowledge = useMutation(trpc.alerts.acknowledge.mutationOptions({ onSuccess: refresh }));
  const silence = useMutation(
    trpc.alerts.silence.mutationOptions({
      onSuccess: async () => {
        setSilenceProblem(null);
        await refresh();
      },
      onError: (error) => setSilenceProblem(describeProblem(error)),
    }),
  );
  const endSilence = useMutation(trpc.alerts.endSilence.mutationOptions({ onSuccess: refresh }));

  const [silenceRule, setSilenceRule] = useState('');
  const [silenceSubject, setSilenceSubject] = useState('');
  const [silenceMinutes, setSilenceMinutes] = useState('60');
  const [silenceReason, setSilenceReason] = useState('');
  const submitSilence = (event: FormEvent) => {
    event.preventDefault();
    silence.mutate({
      ruleId: silenceRule === '' ? null : silenceRule,
      subject: silenceSubject === '' ? null : silenceSubject,
      minutes: Number(silenceMinutes),
      reason: silenceReason,
    });
  };
  const rules = alerts.data?.rules ?? [];

  return (
    <>
      <Panel
        title="Alerts"
        description="One alert per rule and subject while its condition holds; it resolves once the condition has stayed clear for the rule's clear duration."
        name="alerts"
        actions={
          <Segmented
            label="Show"
            value={view}
            options={[
              { value: 'firing', label: 'Firing' },
              { value: 'acknowledged', label: 'Acknowledged' },
              { value: 'resolved', label: 'Resolved' },
              { value: 'all', label: 'All' },
            ]}
            onChange={setView}
          />
        }
      >
        <form
          className="form form--grid"
          onSubmit={(event) => event.preventDefault()}
          aria-label="Search alerts"
        >
          <div className="field">
            <label htmlFor={`${id}-rule`}>Rule</label>
            <select id={`${id}-rule`} value={ruleId} onChange={(event) => setRuleId(event.target.value)}>
              <option value="">Every rule</option>
              {rules.map((rule) => (
                <option key={rule.id} value={rule.id}>
                  {rule.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-subject`}>Subject contains</label>
            <input
              id={`${id}-subject`}
              value={subject}
              onChange={(event) => setSubject(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-from`}>Fired from (UTC day)</label>
            <input
              id={`${id}-from`}
              type="date"
              value={from}
              onChange={(event) => setFrom(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-to`}>Fired until (UTC day)</label>
            <input id={`${id}-to`} type="date" value={to} onChange={(event) => setTo(event.target.value)} />
          </div>
        </form>
        {acknowledge.isError ? (
          <p className="form__error" role="alert">
            {describeProblem(acknowledge.error).message}
          </p>
        ) : null}
        <QueryView
          query={alerts}
          loadingLabel="Loading alerts…"
          isEmpty={(data) => data.alerts.length === 0}
          empty={
            <EmptyState title={view === 'firing' ? 'Nothing is firing' : 'No alert matches'}>
              All rules hold.
            </EmptyState>
          }
        >
          {(data) => (
            <div className="table-scroll">
              <table className="table table--compact" data-table="alerts">
                <caption className="visually-hidden">Alerts</caption>
                <thead>
                  <tr>
                    <th scope="col">Severity</th>
                    <th scope="col">Alert</th>
                    <th scope="col">Figure</th>
                    <th scope="col">Fired</th>
                    <th scope="col">State</th>
                    <th scope="col">Acknowledge</th>
                  </tr>
                </thead>
                <tbody>
                  {data.alerts.map((alert) => (
                    <tr
                      key={alert.id}
                      data-alert-id={alert.id}
                      aria-current={alert.id === initialAlertId ? 'true' : undefined}
                    >
                      <td>
                        <span className={`badge badge--severity-${alert.severity}`}>{alert.severity}</span>
                      </td>
                      <td>
                        <strong>{alert.summary}</strong>
                        <br />
                        <span className="muted">
                          {alert.ruleName} · {alert.subject}
                        </span>
                        <br />
                        <Link href={alert.link}>Show the page for this alert</Link>
                      </td>
                      <td className="num">{figure(alert.value, alert.threshold)}</td>
                      <td>{alert.firedAt ? formatUtc(alert.firedAt) : '–'}</td>
                      <td>
                        {alert.state === 'resolved'
                          ? `Resolved ${alert.resolvedAt ? formatUtc(alert.resolvedAt) : ''}`
                          : alert.clearingSince
                            ? 'Firing (clearing)'
                            : 'Firing'}
                        {alert.silencedBy !== null ? (
                          <div className="muted">Silenced: nothing sent</div>
                        ) : null}
                      </td>
                      <td>
                        {alert.acknowledgedAt ? (
                          <span>
                            {alert.acknowledgedBy}, {formatUtc(alert.acknowledgedAt)}
                            {alert.acknowledgeNote ? (
                              <div className="muted">{alert.acknowledgeNote}</div>
                            ) : null}
                          </span>
                        ) : alert.state === 'firing' ? (
                          <form
                            className="inline-form"
                            onSubmit={(event) => {
                              event.preventDefault();
                              acknowledge.mutate({ id: alert.id, note: notes[alert.id] ?? '' });
                            }}
                          >
                            <label className="visually-hidden" htmlFor={`${id}-note-${alert.id}`}>
                              Note
                            </label>
                            <input
                              id={`${id}-note-${alert.id}`}
                              placeholder="Note (optional)"
                              value={notes[alert.id] ?? ''}
                              onChange={(event) => setNotes({ ...notes, [alert.id]: event.target.value })}
                            />
                            <button type="submit" className="button" disabled={acknowledge.isPending}>
                              Acknowledge
                            </button>
                            <button
                              type="button"
                              className="button button--ghost"
                              onClick={() => {
                                setSilenceRule(alert.ruleId);
                                setSilenceSubject(alert.subject);
                              }}
                            >
                              Silence…
                            </button>
                          </form>
                        ) : (
                          '–'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Panel>

      <Panel
        title="Silences"
        description="While a silence is in force, alerts of its rule and subject still fire and resolve here, but send nothing."
        name="silences"
      >
        <form className="form form--grid" onSubmit={submitSilence} noValidate aria-label="New silence">
          <div className="field">
            <label htmlFor={`${id}-silence-rule`}>Rule</label>
            <select
              id={`${id}-silence-rule`}
              value={silenceRule}
              onChange={(event) => setSilenceRule(event.target.value)}
              aria-invalid={fieldMessage(silenceProblem, 'ruleId') ? true : undefined}
            >
              <option value="">Every rule</option>
              {rules.map((rule) => (
                <option key={rule.id} value={rule.id}>
                  {rule.name}
                </option>
              ))}
            </select>
            {fieldMessage(silenceProblem, 'ruleId') ? (
              <p className="field__error">{fieldMessage(silenceProblem, 'ruleId')}</p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor={`${id}-silence-subject`}>Subject (empty: every subject)</label>
            <input
              id={`${id}-silence-subject`}
              value={silenceSubject}
              onChange={(event) => setSilenceSubject(event.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-silence-minutes`}>Minutes</label>
            <input
              id={`${id}-silence-minutes`}
              type="number"
              min={5}
              value={silenceMinutes}
              onChange={(event) => setSilenceMinutes(event.target.value)}
              aria-invalid={fieldMessage(silenceProblem, 'minutes') ? true : undefined}
            />
            {fieldMessage(silenceProblem, 'minutes') ? (
              <p className="field__error">{fieldMessage(silenceProblem, 'minutes')}</p>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor={`${id}-silence-reason`}>Reason</label>
            <input
              id={`${id}-silence-reason`}
              value={silenceReason}
              onChange={(event) => setSilenceReason(event.target.value)}
              aria-invalid={fieldMessage(silenceProblem, 'reason') ? true : undefined}
            />
            {fieldMessage(silenceProblem, 'reason') ? (
              <p className="field__error">{fieldMessage(silenceProblem, 'reason')}</p>
            ) : null}
          </div>
          <div className="field">
            <button type="submit" className="button" disabled={silence.isPending}>
              Silence
            </button>
          </div>
          {silenceProblem && Object.keys(silenceProblem.fieldErrors).length === 0 ? (
            <p className="form__error" role="alert">
              {silenceProblem.message}
            </p>
          ) : null}
        </form>
        <QueryView
          query={silences}
          loadingLabel="Loading silences…"
          isEmpty={(data) => data.length === 0}
          empty={<EmptyState title="No silence in force">Every alert notifies its channels.</EmptyState>}
        >
          {(data) => (
            <table className="table table--compact" data-table="silences">
              <caption className="visually-hidden">Silences</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Until</th>
                  <th scope="col">Reason</th>
                  <th scope="col">
                    <span className="visually-hidden">End</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.map((entry) => (
                  <tr key={entry.id}>
                    <td>{entry.ruleId ?? 'Every rule'}</td>
                    <td>{entry.subject ?? 'Every subject'}</td>
                    <td>{formatUtc(entry.endsAt)}</td>
                    <td>
                      {entry.reason} <span className="muted">({entry.createdBy})</span>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button button--ghost"
                        onClick={() => endSilence.mutate({ id: entry.id })}
                      >
                        End now
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Panel>
    </>
  );
}
