'use client';

import { useQuery } from '@tanstack/react-query';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatDecimal, formatUtc } from '../../lib/format';
import { formatLocalInterval } from '../../lib/local-time';
import { qualityLabels } from '../../lib/service-params';
import { useTRPC } from '../../trpc/client';

const sourceLabels = {
  meter_resend: 'Meter resent',
  agent: 'Correction',
  estimation: 'Estimation',
  reprocess: 'Reprocessing',
  review: 'Review',
} as const;

/** Every change to the day's readings, newest first: what, by whom, when and why. */
export function RevisionHistory({
  meterId,
  day,
  timeZone,
  intervalMinutes,
}: {
  meterId: string;
  day: string;
  timeZone: string;
  intervalMinutes: number;
}) {
  const trpc = useTRPC();
  const revisions = useQuery(trpc.service.revisions.queryOptions({ meterId, day }));
  return (
    <Panel
      title="Revision history"
      description="Append-only: every change to a reading of this day, newest first."
      name="revisions"
    >
      <QueryView
        query={revisions}
        loadingLabel="Reading the history…"
        isEmpty={(data) => data.rows.length === 0}
        empty={<EmptyState title="No reading of this day has been changed" height={96} />}
      >
        {(data) => (
          <ol className="revisions" data-list="revisions">
            {data.rows.map((row) => (
              <li key={row.id} className="revision" data-revision={row.id} data-source={row.source}>
                <p className="revision__what">
                  <span className="revision__interval">
                    {formatLocalInterval(row.intervalStart, intervalMinutes, timeZone)}
                  </span>{' '}
                  <span className="revision__values">
                    {row.oldKwh === null ? 'new' : formatDecimal(row.oldKwh)} →{' '}
                    <strong>{formatDecimal(row.newKwh)}</strong> kWh
                  </span>{' '}
                  <span className="muted">
                    {row.oldQuality && row.oldQuality !== row.newQuality
                      ? `${qualityLabels[row.oldQuality]} → `
                      : ''}
                    {qualityLabels[row.newQuality]}, v{row.newVersion}
                  </span>
                </p>
                <p className="revision__why">“{row.reason}”</p>
                <p className="revision__who muted">
                  {sourceLabels[row.source]} by {row.actorName ?? row.actor}, {formatUtc(row.createdAt)}
                </p>
              </li>
            ))}
          </ol>
        )}
      </QueryView>
    </Panel>
  );
}
