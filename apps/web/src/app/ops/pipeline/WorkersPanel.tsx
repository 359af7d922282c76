'use client';

import type { RouterOutputs } from '../../../trpc/client';
import { formatAgo, formatDuration, formatUtc } from '../../../lib/format';

type Workers = RouterOutputs['pipeline']['workers'];
type Condition = Workers['workers'][number]['condition'];

const tone: Record<Condition, 'ok' | 'warn' | 'stop' | 'unknown'> = {
  consuming: 'ok',
  starting: 'warn',
  restarting: 'warn',
  paused: 'stop',
  stopping: 'unknown',
  stopped: 'unknown',
  silent: 'stop',
};

const label: Record<Condition, string> = {
  consuming: 'Consuming',
  starting: 'Starting',
  restarting: 'Restarting consumer',
  paused: 'Paused',
  stopping: 'Stopping',
  stopped: 'Stopped',
  silent: 'Not reporting',
};

/**
 * Each worker process as it last reported (or that it fell silent), and the pauses of the range: an
 * operator sees a stuck or paused worker now, and an incident and its recovery afterwards.
 */
export function WorkersView({ data }: { data: Workers }) {
  const now = data.checkedAt.getTime();
  return (
    <>
      <div className="table-scroll">
        <table className="table table--compact" data-table="workers">
          <caption className="visually-hidden">Worker processes</caption>
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">State</th>
              <th scope="col">Partitions</th>
              <th scope="col">Last batch</th>
              <th scope="col">Last report</th>
              <th scope="col" className="num">
                Consumer restarts
              </th>
            </tr>
          </thead>
          <tbody>
            {data.workers.map((worker) => (
              <tr key={worker.workerId} data-worker={worker.workerId} data-condition={worker.condition}>
                <th scope="row">
                  {worker.workerId}
                  <span className="muted"> · {worker.consumerGroup}</span>
                </th>
                <td>
                  <span className={`badge badge--status-${tone[worker.condition]}`}>
                    {label[worker.condition]}
                  </span>
                  {worker.pausedReason ? (
                    <p className="muted" data-paused-reason>
                      {worker.pausedReason}
                      {worker.pausedSince ? ` (since ${formatUtc(worker.pausedSince)} UTC)` : null}
                    </p>
                  ) : null}
                </td>
                <td>{worker.partitions.length > 0 ? worker.partitions.join(', ') : '–'}</td>
                <td>{worker.lastBatchAt ? formatAgo(worker.lastBatchAt, now) : 'none yet'}</td>
                <td>{formatAgo(worker.reportedAt, now)}</td>
                <td className="num">{worker.consumerRestarts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3 className="card__subtitle">Pauses in this range</h3>
      {!data.incidentsAvailable ? (
        <p className="muted">InfluxDB did not answer; pauses cannot be shown.</p>
      ) : data.incidents.length === 0 ? (
        <p className="muted" data-incidents="none">
          No worker paused in this range.
        </p>
      ) : (
        <ul className="incident-list" data-incidents={data.incidents.length}>
          {data.incidents.map((incident) => (
            <li
              key={`${incident.worker}-${incident.start.getTime()}`}
              data-incident={incident.end ? 'resolved' : 'open'}
            >
              <strong>{incident.worker}</strong> paused at {formatUtc(incident.start, { seconds: true })} UTC:{' '}
              {incident.reason}.{' '}
              {incident.end
                ? `Resumed after ${formatDuration(incident.end.getTime() - incident.start.getTime())}.`
                : 'Still paused.'}
              {incident.restarts > 0 ? ` ${incident.restarts} consumer restart(s).` : null}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
