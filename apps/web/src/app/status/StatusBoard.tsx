'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../../trpc/client';

const REFRESH_MS = 5_000;

export function StatusBoard() {
  const trpc = useTRPC();
  const health = useQuery(
    trpc.status.health.queryOptions(undefined, {
      refetchInterval: REFRESH_MS,
      // A status page that stops refreshing in a background tab would show stale reassurance.
      refetchIntervalInBackground: true,
      staleTime: 0,
    }),
  );

  if (health.isPending) {
    return (
      <div className="loading" role="status" aria-live="polite">
        <span className="spinner" aria-hidden="true" />
        Checking services…
      </div>
    );
  }

  if (health.isError && !health.data) {
    return (
      <div className="panel panel--error" role="alert">
        <h2>Status could not be loaded</h2>
        <p>{health.error.message}</p>
        <button type="button" className="button" onClick={() => void health.refetch()}>
          Try again
        </button>
      </div>
    );
  }

  const { components, checkedAt } = health.data;
  const upCount = components.filter((component) => component.up).length;
  const allUp = upCount === components.length;
  return (
    <section aria-labelledby="status-summary">
      <div className={`summary ${allUp ? 'summary--ok' : 'summary--bad'}`}>
        <p id="status-summary" className="summary__text" aria-live="polite">
          {allUp
            ? 'All services are up'
            : `${components.length - upCount} of ${components.length} services down`}
        </p>
        <p className="summary__meta">
          Checked at <time dateTime={checkedAt.toISOString()}>{checkedAt.toLocaleTimeString()}</time> ·
          refreshes every {REFRESH_MS / 1000} s
          {health.isError ? (
            <span className="summary__stale"> · last refresh failed, showing the previous result</span>
          ) : null}
          {health.data.detailed ? null : ' · staff see addresses, versions and latencies after signing in'}
        </p>
      </div>
      <ul className="status-grid">
        {components.map((component) => {
          const headingId = `component-${component.name.toLowerCase()}`;
          return (
            <li key={component.name}>
              <article className="status-card" aria-labelledby={headingId} data-up={component.up}>
                <header className="status-card__header">
                  <h2 id={headingId}>{component.name}</h2>
                  <span className={`badge ${component.up ? 'badge--up' : 'badge--down'}`}>
                    {component.up ? 'Up' : 'Down'}
                  </span>
                </header>
                {component.details ? (
                  <dl className="status-card__facts">
                    <div>
                      <dt>Address</dt>
                      <dd className="mono">{component.details.address}</dd>
                    </div>
                    <div>
                      <dt>Latency</dt>
                      <dd>{component.details.latencyMs} ms</dd>
                    </div>
                    <div>
                      <dt>Detail</dt>
                      <dd>{component.details.detail}</dd>
                    </div>
                  </dl>
                ) : null}
              </article>
            </li>
          );
        })}
      </ul>
      <IngestStatus />
    </section>
  );
}

const ingestText = {
  consuming: 'Readings are being ingested',
  paused: 'Ingest is paused: the workers wait for a service to come back',
  down: 'No ingest worker is reporting',
} as const;

/** Whether readings flow, from the workers' own reports. */
function IngestStatus() {
  const trpc = useTRPC();
  const ingest = useQuery(
    trpc.status.ingest.queryOptions(undefined, {
      refetchInterval: REFRESH_MS,
      refetchIntervalInBackground: true,
      staleTime: 0,
    }),
  );
  if (!ingest.data) return null;
  const { state, workers } = ingest.data;
  return (
    <article className="status-card status-card--wide" aria-labelledby="ingest-status" data-ingest={state}>
      <header className="status-card__header">
        <h2 id="ingest-status">Ingest</h2>
        <span className={`badge ${state === 'consuming' ? 'badge--up' : 'badge--down'}`}>
          {state === 'consuming' ? 'Running' : state === 'paused' ? 'Paused' : 'Stopped'}
        </span>
      </header>
      <p>{ingestText[state]}.</p>
      <p className="muted">
        Workers: {workers.consuming} consuming, {workers.paused} paused
        {workers.silent > 0 ? `, ${workers.silent} silent` : ''}.
      </p>
    </article>
  );
}
