'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatDuration, formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { parseMeterList } from '../../lib/job-params';
import { addDays } from '../../lib/ops-params';
import { REPROCESS_MAX_DAYS, REPROCESS_MAX_METERS } from '../../lib/service-params';
import { useTRPC } from '../../trpc/client';
import { describeJob, ProgressBar, RunStatusBadge, type RunStatus } from './JobParts';

const statuses: RunStatus[] = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/** Start reprocessing, and the list of job runs with their progress, refreshed while any is active. */
export function JobsBoard() {
  return (
    <div className="dashboard">
      <StartReprocessing />
      <StartReplay />
      <RunList />
    </div>
  );
}

function StartReprocessing() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
  const [from, setFrom] = useState(addDays(yesterday, -6));
  const [to, setTo] = useState(yesterday);
  const [scope, setScope] = useState<'some' | 'all'>('some');
  const [meters, setMeters] = useState('');
  const start = useMutation(
    trpc.jobs.start.mutationOptions({
      onSuccess: async ({ id: runId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
        router.push(`/admin/jobs/${runId}`);
      },
    }),
  );
  const problem = start.isError ? describeProblem(start.error) : null;
  const errors = {
    from: fieldMessage(problem, 'from'),
    to: fieldMessage(problem, 'to'),
    meterIds: fieldMessage(problem, 'meterIds'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const meterIds = scope === 'all' ? undefined : parseMeterList(meters);
    start.mutate({ name: 'reprocess', from, to, meterIds });
  };
  return (
    <Panel
      title="Start reprocessing"
      description={`Recomputes the days as final from the readings: estimates, aggregates, settlement periods; billing alerts where an invoiced day changes. At most ${REPROCESS_MAX_DAYS} days and ${REPROCESS_MAX_METERS} listed meters at once.`}
      name="start-reprocessing"
    >
      <form className="form form--grid" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-from`}>First day</label>
          <input
            id={`${id}-from`}
            type="date"
            value={from}
            onChange={(event) => setFrom(event.target.value)}
            aria-invalid={errors.from ? true : undefined}
            aria-describedby={errors.from ? `${id}-from-error` : undefined}
          />
          {errors.from ? (
            <p id={`${id}-from-error`} className="field__error">
              {errors.from}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={`${id}-to`}>Last day</label>
          <input
            id={`${id}-to`}
            type="date"
            value={to}
            onChange={(event) => setTo(event.target.value)}
            aria-invalid={errors.to ? true : undefined}
            aria-describedby={errors.to ? `${id}-to-error` : undefined}
          />
          {errors.to ? (
            <p id={`${id}-to-error`} className="field__error">
              {errors.to}
            </p>
          ) : null}
        </div>
        <fieldset className="field field--wide choice">
          <legend>Meters</legend>
          <label className="choice__option">
            <input
              type="radio"
              name={`${id}-scope`}
              value="some"
              checked={scope === 'some'}
              onChange={() => setScope('some')}
            />{' '}
            These meters
          </label>
          <label className="choice__option">
            <input
              type="radio"
              name={`${id}-scope`}
              value="all"
              checked={scope === 'all'}
              onChange={() => setScope('all')}
            />{' '}
            Every meter
          </label>
        </fieldset>
        {scope === 'some' ? (
          <div className="field field--wide">
            <label htmlFor={`${id}-meters`}>Meter ids</label>
            <textarea
              id={`${id}-meters`}
              rows={2}
              value={meters}
              placeholder="MTR-000001, MTR-000002"
              onChange={(event) => setMeters(event.target.value)}
              aria-invalid={errors.meterIds ? true : undefined}
              aria-describedby={errors.meterIds ? `${id}-meters-error` : `${id}-meters-hint`}
            />
            {errors.meterIds ? (
              <p id={`${id}-meters-error`} className="field__error">
                {errors.meterIds}
              </p>
            ) : (
              <p id={`${id}-meters-hint`} className="field__hint">
                Separated by commas, spaces or new lines.
              </p>
            )}
          </div>
        ) : null}
        {problem && !errors.from && !errors.to && !errors.meterIds ? (
          <p className="form__error field--wide" role="alert">
            {problem.message}
          </p>
        ) : null}
        <div className="field--wide">
          <button
            type="submit"
            className="button button--primary"
            disabled={start.isPending || start.isSuccess}
          >
            {start.isPending || start.isSuccess ? 'Starting…' : 'Start reprocessing'}
          </button>
        </div>
      </form>
    </Panel>
  );
}

/**
 * Re-reads the readings topic from an offset or an instant through the normal ingest path: the same
 * values change nothing, changed ones become new versions, and the run counts both.
 */
function StartReplay() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const id = useId();
  const [from, setFrom] = useState('');
  const [partitions, setPartitions] = useState('');
  const start = useMutation(
    trpc.jobs.start.mutationOptions({
      onSuccess: async ({ id: runId }) => {
        await queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() });
        router.push(`/admin/jobs/${runId}`);
      },
    }),
  );
  const problem = start.isError ? describeProblem(start.error) : null;
  const errors = { from: fieldMessage(problem, 'from'), partitions: fieldMessage(problem, 'partitions') };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const list = partitions
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    start.mutate({ name: 'replay', from: from.trim(), partitions: list.length > 0 ? list : undefined });
  };
  return (
    <Panel
      title="Replay the readings topic"
      description="Re-reads Kafka from an offset or an instant through validation and storage. Unchanged readings stay as they are; changed ones become new versions with a revision; the run counts both. Workers keep running."
      name="start-replay"
    >
      <form className="form form--grid" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={`${id}-replay-from`}>From</label>
          <input
            id={`${id}-replay-from`}
            value={from}
            placeholder="2026-12-01T00:00:00Z or 12345"
            onChange={(event) => setFrom(event.target.value)}
            aria-invalid={errors.from ? true : undefined}
            aria-describedby={errors.from ? `${id}-replay-from-error` : `${id}-replay-from-hint`}
          />
          {errors.from ? (
            <p id={`${id}-replay-from-error`} className="field__error">
              {errors.from}
            </p>
          ) : (
            <p id={`${id}-replay-from-hint`} className="field__hint">
              An instant with its offset, or a Kafka offset.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-replay-partitions`}>Partitions</label>
          <input
            id={`${id}-replay-partitions`}
            value={partitions}
            placeholder="all"
            onChange={(event) => setPartitions(event.target.value)}
            aria-invalid={errors.partitions ? true : undefined}
            aria-describedby={errors.partitions ? `${id}-replay-partitions-error` : undefined}
          />
          {errors.partitions ? (
            <p id={`${id}-replay-partitions-error`} className="field__error">
              {errors.partitions}
            </p>
          ) : null}
        </div>
        {problem && !errors.from && !errors.partitions ? (
          <p className="form__error field--wide" role="alert">
            {problem.message}
          </p>
        ) : null}
        <div className="field--wide">
          <button type="submit" className="button" disabled={start.isPending || start.isSuccess}>
            {start.isPending || start.isSuccess ? 'Starting…' : 'Start replay'}
          </button>
        </div>
      </form>
    </Panel>
  );
}

function RunList() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [before, setBefore] = useState<Date[]>([]);
  const cursor = before.at(-1);
  const runs = useQuery(
    trpc.jobs.list.queryOptions(
      { ...(status ? { status } : {}), ...(cursor ? { before: cursor } : {}) },
      {
        placeholderData: keepPreviousData,
        refetchOnMount: 'always',
        // Quick while something runs, so progress moves; slow otherwise.
        refetchInterval: (query) =>
          query.state.data?.runs.some((run) => run.status === 'queued' || run.status === 'running')
            ? 2_000
            : 15_000,
      },
    ),
  );
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.jobs.list.pathKey() }),
    }),
  );
  return (
    <Panel
      title="Job runs"
      description="Newest first. Times are UTC."
      name="job-runs"
      actions={
        <div className="control">
          <label htmlFor="jobs-status">Status</label>
          <select
            id="jobs-status"
            value={status}
            onChange={(event) => {
              setStatus(event.target.value as RunStatus | '');
              setBefore([]);
            }}
          >
            <option value="">Every status</option>
            {statuses.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
      }
    >
      {cancel.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(cancel.error).message}
        </p>
      ) : null}
      <QueryView
        query={runs}
        loadingLabel="Loading runs…"
        isEmpty={(data) => data.runs.length === 0}
        empty={
          <EmptyState title="No job runs yet">Start one above; scheduled runs appear here too.</EmptyState>
        }
      >
        {(data) => (
          <>
            <div className="table-scroll">
              <table className="table table--compact" data-table="job-runs">
                <caption className="visually-hidden">Job runs</caption>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Status</th>
                    <th scope="col">Progress</th>
                    <th scope="col" className="num">
                      Duration
                    </th>
                    <th scope="col">Started</th>
                    <th scope="col">Error</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.runs.map((run) => {
                    const active = run.status === 'queued' || run.status === 'running';
                    return (
                      <tr key={run.id} data-run={run.id} data-status={run.status}>
                        <th scope="row">
                          <Link href={`/admin/jobs/${run.id}`}>{describeJob(run.name, run.params)}</Link>
                        </th>
                        <td>
                          <RunStatusBadge
                            status={run.status}
                            cancelRequested={run.cancelRequestedAt !== null}
                          />
                        </td>
                        <td>
                          <ProgressBar
                            done={run.progressDone}
                            total={run.progressTotal}
                            unit={run.progressUnit}
                            label={`Progress of ${describeJob(run.name, run.params)}`}
                          />
                        </td>
                        <td className="num">
                          {run.durationMs === null ? '–' : formatDuration(run.durationMs)}
                        </td>
                        <td className="small-cell">
                          {formatUtc(run.createdAt, { seconds: false })}
                          <br />
                          <span className="muted">by {run.startedByName ?? run.startedBy}</span>
                        </td>
                        <td className="small-cell error-cell">{run.error ?? ''}</td>
                        <td>
                          {active && run.cancelRequestedAt === null ? (
                            <button
                              type="button"
                              className="button button--small"
                              disabled={cancel.isPending}
                              onClick={() => cancel.mutate({ id: run.id })}
                              aria-label={`Cancel ${describeJob(run.name, run.params)}`}
                            >
                              Cancel
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <nav className="pagination" aria-label="Pages of job runs">
              <p className="pagination__summary">
                {before.length === 0 ? 'Newest runs' : `Older runs, page ${before.length + 1}`}
              </p>
              <div className="pagination__buttons">
                <button
                  type="button"
                  className="button button--small"
                  disabled={before.length === 0}
                  onClick={() => setBefore((pages) => pages.slice(0, -1))}
                >
                  Newer
                </button>
                <button
                  type="button"
                  className="button button--small"
                  disabled={data.runs.length < data.pageSize}
                  onClick={() => {
                    const last = data.runs.at(-1);
                    if (last) setBefore((pages) => [...pages, last.createdAt]);
                  }}
                >
                  Older
                </button>
              </div>
            </nav>
          </>
        )}
      </QueryView>
    </Panel>
  );
}
