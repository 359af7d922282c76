'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Panel } from '../ui/Panel';
import { Stat, StatGrid } from '../ui/Stat';
import { ErrorState, LoadingState } from '../ui/States';
import { formatDuration, formatUtc, formatUtcTime } from '../../lib/format';
import { describeProblem } from '../../lib/form-errors';
import { useTRPC } from '../../trpc/client';
import { describeJob, ProgressBar, RunStatusBadge } from './JobParts';

const POLL_MS = 1_000;

/** One run, followed live (polled every second) until it ends: progress, log lines, result or error. */
export function JobRunView({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery(
    trpc.jobs.get.queryOptions(
      { id: runId },
      {
        refetchInterval: (query) => {
          const status = query.state.data?.status;
          return status === undefined || status === 'queued' || status === 'running' ? POLL_MS : false;
        },
      },
    ),
  );
  const cancel = useMutation(
    trpc.jobs.cancel.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.jobs.get.queryKey({ id: runId }) }),
    }),
  );
  if (run.data === undefined) {
    return run.error ? (
      <ErrorState error={run.error} onRetry={() => void run.refetch()} />
    ) : (
      <LoadingState label="Loading the run…" />
    );
  }
  const data = run.data;
  const active = data.status === 'queued' || data.status === 'running';
  const title = describeJob(data.name, data.params);
  return (
    <div className="dashboard" data-run={data.id} data-status={data.status}>
      <div className="run-header">
        <div>
          <h2 className="run-header__title">{title}</h2>
          <p className="muted small">
            Requested {formatUtc(data.createdAt)} by {data.startedByName ?? data.startedBy} · run{' '}
            <span className="mono">{data.id}</span>
          </p>
        </div>
        <div className="row-actions">
          <RunStatusBadge status={data.status} cancelRequested={data.cancelRequestedAt !== null} />
          {active && data.cancelRequestedAt === null ? (
            <button
              type="button"
              className="button button--small"
              disabled={cancel.isPending}
              onClick={() => cancel.mutate({ id: data.id })}
            >
              Cancel run
            </button>
          ) : null}
        </div>
      </div>
      {cancel.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(cancel.error).message}
        </p>
      ) : null}
      <Panel title="Progress" name="progress">
        <ProgressBar
          done={data.progressDone}
          total={data.progressTotal}
          unit={data.progressUnit}
          label={`Progress of ${title}`}
        />
        <p className="small muted" aria-live="polite">
          {data.status === 'queued'
            ? 'Waiting for a worker to pick it up…'
            : data.status === 'running'
              ? `Running; updated ${formatUtcTime(data.updatedAt)} UTC.`
              : data.status === 'completed'
                ? `Completed ${data.finishedAt ? formatUtc(data.finishedAt) : ''}.`
                : data.status === 'failed'
                  ? 'Failed; see the error below.'
                  : `Cancelled ${data.finishedAt ? formatUtc(data.finishedAt) : ''}.`}
        </p>
      </Panel>
      <StatGrid label="Run">
        <Stat
          name="duration"
          label="Duration"
          value={data.durationMs === null ? '–' : formatDuration(data.durationMs)}
          detail={data.startedAt ? `Started ${formatUtc(data.startedAt, { seconds: false })}` : 'Not started'}
        />
        <Stat
          name="attempts"
          label="Attempts"
          value={String(data.attempts)}
          detail={data.attempts > 1 ? 'Retried after a failure' : 'First attempt'}
        />
        <Stat
          name="outcome"
          label="Outcome"
          value={data.status}
          tone={data.status === 'completed' ? 'good' : data.status === 'failed' ? 'bad' : 'neutral'}
          detail={data.error ?? (data.result ? summarize(data.result) : '')}
        />
      </StatGrid>
      {data.result ? (
        <Panel title="Result" name="result">
          <pre className="code-block">{JSON.stringify(data.result, null, 2)}</pre>
        </Panel>
      ) : null}
      <Panel title="Log" description="The newest 200 lines, oldest first. Times are UTC." name="log">
        {data.logs.length === 0 ? (
          <p className="muted small">Nothing logged yet.</p>
        ) : (
          <ol className="log" data-list="log">
            {data.logs.map((line) => (
              <li key={line.id} className={`log__line log__line--${line.level}`}>
                <time dateTime={line.at.toISOString()}>{line.at.toISOString().slice(11, 19)}</time>
                <span className="log__level">{line.level}</span>
                <span className="log__message">{line.message}</span>
              </li>
            ))}
          </ol>
        )}
      </Panel>
      <p>
        <Link href="/admin/jobs">← All job runs</Link>
      </p>
    </div>
  );
}

/** `3 meters, 3 days, 144 readings` from the job's result counts. */
function summarize(result: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ['keys', 'meters', 'days', 'readings']) {
    const value = result[key];
    if (typeof value === 'number') parts.push(`${value.toLocaleString('en-GB')} ${key}`);
  }
  return parts.join(', ');
}
