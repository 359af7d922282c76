import { formatUtc } from '../../lib/format';

type Quality = 'actual' | 'estimated' | 'edited';

const qualityText: Record<Quality, string> = {
  actual: 'Measured',
  estimated: 'Estimated',
  edited: 'Corrected',
};

/** A reading's quality in words a customer understands; the estimate's method as its title. */
export function QualityBadge({ quality, method }: { quality: Quality | null; method?: string | null }) {
  if (quality === null) return <span className="quality quality--missing">Not received</span>;
  const title =
    quality === 'estimated'
      ? `Estimated${method === 'linear_interpolation' ? ' by interpolating between neighbouring readings' : method === 'like_day' ? ' from the same weekday in recent weeks' : ''}`
      : undefined;
  return (
    <span className={`quality quality--${quality}`} title={title}>
      {qualityText[quality]}
    </span>
  );
}

export type ReportStatus = 'final' | 'provisional' | 'partly-final' | 'no-data';

/**
 * What a customer needs to know about a number: final (the nightly batch has settled it) or provisional
 * (real time, may still change), and as of when.
 */
export function StatusNote({
  status,
  finalAsOf,
  provisionalAsOf,
  days,
  finalDays,
}: {
  status: ReportStatus;
  finalAsOf: Date | null;
  provisionalAsOf: Date | null;
  days: number;
  finalDays: number;
}) {
  if (status === 'no-data') {
    return (
      <p className="status-note status-note--none" data-status="no-data">
        No readings have arrived for this period yet.
      </p>
    );
  }
  return (
    <p className={`status-note status-note--${status}`} data-status={status}>
      {status === 'final' ? (
        <>
          <span className="badge badge--final">Final</span>
          <span>
            Settled by the nightly check
            {finalAsOf ? (
              <>
                , as of{' '}
                <time dateTime={finalAsOf.toISOString()}>{formatUtc(finalAsOf, { seconds: false })}</time>
              </>
            ) : null}
            . These are the numbers you are billed on.
          </span>
        </>
      ) : status === 'provisional' ? (
        <>
          <span className="badge badge--provisional">Provisional</span>
          <span>
            Real-time figures
            {provisionalAsOf ? (
              <>
                , as of{' '}
                <time dateTime={provisionalAsOf.toISOString()}>
                  {formatUtc(provisionalAsOf, { seconds: false })}
                </time>
              </>
            ) : null}
            . They may still change when late readings arrive and the nightly check settles them.
          </span>
        </>
      ) : (
        <>
          <span className="badge badge--provisional">Partly final</span>
          <span>
            {finalDays} of {days} days are final
            {finalAsOf ? <> (as of {formatUtc(finalAsOf, { seconds: false })})</> : null}; the rest are
            provisional
            {provisionalAsOf ? <>, as of {formatUtc(provisionalAsOf, { seconds: false })}</> : null}, and may
            still change.
          </span>
        </>
      )}
    </p>
  );
}
