/**
 * /healthz (the process is alive and not beyond recovery) and /readyz (ingest consumes: joined its group,
 * fetching, not paused) for a supervisor or load balancer, with the details as JSON either way.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IngestHealth } from './ingest/health';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function serveHealth(
  health: IngestHealth,
  options: { port: number; host: string; workerId: string },
): Promise<HealthServer> {
  const server = http.createServer((request, response) => {
    const now = Date.now();
    const snapshot = health.snapshot(now);
    const body = {
      worker: options.workerId,
      state: snapshot.state,
      ready: health.ready(now),
      joined: snapshot.joined,
      partitions: snapshot.partitions,
      pausedFor: snapshot.paused?.reason ?? null,
      pausedSince: snapshot.paused ? new Date(snapshot.paused.sinceMs).toISOString() : null,
      lastBatchAt: snapshot.lastBatchAtMs === null ? null : new Date(snapshot.lastBatchAtMs).toISOString(),
      lastFetchAt: snapshot.lastFetchAtMs === null ? null : new Date(snapshot.lastFetchAtMs).toISOString(),
      consumerRestarts: snapshot.consumerRestarts,
    };
    const path = (request.url ?? '/').split('?')[0];
    let ok: boolean;
    if (path === '/healthz') ok = snapshot.state !== 'stopping' && health.stuckFor(now) === null;
    else if (path === '/readyz') ok = body.ready;
    else {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    response
      .writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
      .end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
