import { formatCount } from '../../lib/format';
import { jobLabels } from '../../lib/job-params';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

const statusTone: Record<RunStatus, string> = {
  queued: 'unknown',
  running: 'warn',
  completed: 'ok',
  failed: 'stop',
  cancelled: 'unknown',
};

const statusText: Record<RunStatus, string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

export function RunStatusBadge({
  status,
  cancelRequested = false,
}: {
  status: RunStatus;
  cancelRequested?: boolean;
}) {
  return (
    <span className={`badge badge--status-${statusTone[status]}`} data-status={status}>
      {statusText[status]}
      {cancelRequested && (status === 'running' || status === 'queued') ? ', cancelling' : ''}
    </span>
  );
}

/** done/total as a bar; indeterminate until the job knows its total. */
export function ProgressBar({
  done,
  total,
  unit,
  label,
}: {
  done: number;
  total: number;
  unit: string;
  label: string;
}) {
  const known = total > 0;
  const percent = known ? Math.min(100, (done / total) * 100) : 0;
  return (
    <div className="progress">
      <div
        className={`progress__track${known ? '' : ' progress__track--unknown'}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? total : undefined}
        aria-valuenow={known ? done : undefined}
        aria-valuetext={known ? `${formatCount(done)} of ${formatCount(total)} ${unit}` : 'Not started'}
      >
        <span className="progress__fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="progress__text">
        {known ? `${formatCount(done)} / ${formatCount(total)} ${unit}` : '–'}
      </span>
    </div>
  );
}

/** `Reprocess days 2026-11-18 → 2026-11-20, 3 meters` */
export function describeJob(name: string, params: Record<string, unknown>): string {
  const label = jobLabels[name] ?? name;
  const parts: string[] = [];
  if (typeof params.from === 'string' && typeof params.to === 'string')
    parts.push(params.from === params.to ? params.from : `${params.from} → ${params.to}`);
  if (typeof params.day === 'string') parts.push(params.day);
  if (name === 'replay' && typeof params.from === 'string') {
    parts.push(`from ${params.from}`);
    parts.push(
      Array.isArray(params.partitions)
        ? `partitions ${(params.partitions as number[]).join(', ')}`
        : 'all partitions',
    );
  }
  if (Array.isArray(params.meterIds)) {
    const ids = params.meterIds as string[];
    parts.push(ids.length <= 2 ? ids.join(', ') : `${formatCount(ids.length)} meters`);
  } else if (name === 'reprocess' || name === 'finalize-day') {
    parts.push('all meters');
  }
  return parts.length > 0 ? `${label}: ${parts.join(', ')}` : label;
}
