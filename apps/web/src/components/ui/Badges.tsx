import { formatUtc } from '../../lib/format';

export type PartitionStatus = 'OK' | 'WARN' | 'STALL' | 'STOP' | 'UNKNOWN';

const statusTitles: Record<PartitionStatus, string> = {
  OK: 'OK',
  WARN: 'Warning',
  STALL: 'Stalled',
  STOP: 'Stopped',
  UNKNOWN: 'Unknown',
};

export function StatusBadge({ status, title }: { status: PartitionStatus; title?: string }) {
  return (
    <span className={`badge badge--status-${status.toLowerCase()}`} title={title ?? statusTitles[status]}>
      {status}
    </span>
  );
}

/**
 * Marks numbers whose raw readings come from the Parquet archive (their months left Postgres); the
 * aggregates beside them are still Postgres's.
 */
export function ArchivedNote({
  months,
  explain,
}: {
  months: readonly string[];
  /** What the archive means for the numbers shown, given the months as text. */
  explain: (months: string) => string;
}) {
  if (months.length === 0) return null;
  return (
    <p className="archived-note" data-testid="archived-note">
      <span className="badge badge--archived">Archived</span> {explain(months.join(', '))}
    </p>
  );
}

/** Provisional numbers (speed layer) are striped, final ones (batch layer) solid, in tables and charts. */
export function AggregateBadge({
  status,
  computedAt,
}: {
  status: 'provisional' | 'final';
  computedAt?: Date;
}) {
  const label = status === 'final' ? 'Final' : 'Provisional';
  return (
    <span
      className={`badge badge--${status}`}
      title={computedAt ? `${label}, computed ${formatUtc(computedAt)}` : label}
    >
      {label}
    </span>
  );
}

/** Explains the two styles once per page. */
export function AggregateLegend() {
  return (
    <p className="aggregate-legend">
      <span className="aggregate-legend__item">
        <span className="swatch swatch--final" aria-hidden="true" /> Final: recomputed by the nightly batch
      </span>
      <span className="aggregate-legend__item">
        <span className="swatch swatch--provisional" aria-hidden="true" /> Provisional: real-time speed layer,
        may still change
      </span>
    </p>
  );
}
