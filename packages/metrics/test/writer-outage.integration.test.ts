import { performance } from 'node:perf_hooks';
import { Point } from '@influxdata/influxdb-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInfluxQuery } from '../src/query';
import { createMetricsWriter, type MetricsWriter, type MetricsWriterOptions } from '../src/writer';
import { hungServer } from './hung-server';
import { freePort, ownInfluxd } from './influxd';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

function writer(options: MetricsWriterOptions): MetricsWriter {
  const created = createMetricsWriter({ onError: () => undefined, ...options });
  cleanups.push(() => created.close());
  return created;
}

let sequence = 0;
/** Points with distinct timestamps, so InfluxDB keeps each one. */
function points(count: number): Point[] {
  const start = Date.parse('2026-04-01T00:00:00Z');
  return Array.from({ length: count }, () => {
    sequence += 1;
    return new Point('outage').intField('n', sequence).timestamp(start + sequence);
  });
}

/**
 * Writes each point in its own call, as the ingest loop does, and checks how long the calls took.
 * Almost every call takes microseconds. The slowest may catch a GC pause or, on a busy 2-core
 * machine, another process's time slice, so its budget is wider; either is far below what waiting
 * for InfluxDB would take (a connection attempt, or the request timeout against a hung server).
 */
/**
 * Writing never waits for InfluxDB: every call returns synchronously (no promise to await) and without
 * throwing, and all of a batch is accounted for before the event loop has run any I/O. Checked
 * structurally rather than by timing, which would fail on a loaded machine.
 */
function expectWritesNotToWait(w: MetricsWriter, batch: Point[]): void {
  const before = w.stats().received;
  for (const point of batch) expect(w.write(point)).toBeUndefined();
  expect(w.stats().received - before).toBe(batch.length);
}

const untilNothingBuffered = (w: MetricsWriter) =>
  vi.waitFor(() => expect(w.stats().buffered).toBe(0), { timeout: 30_000, interval: 20 });

describe('metrics writer while InfluxDB is unavailable', () => {
  it('neither blocks nor throws when nothing listens, and counts every point it drops', async () => {
    const w = writer({
      url: `http://127.0.0.1:${await freePort()}`,
      database: 'nowhere',
      maxBufferLines: 100,
      batchSize: 50,
    });

    expectWritesNotToWait(w, points(1_000));

    // The buffer holds 100 points; the other 900 are dropped as they arrive.
    expect(w.stats()).toEqual({ received: 1_000, written: 0, dropped: 900, buffered: 100, failedFlushes: 0 });

    // The buffered 100 are retried a bounded number of times, then dropped too.
    await untilNothingBuffered(w);
    const { failedFlushes, ...counts } = w.stats();
    expect(counts).toEqual({ received: 1_000, written: 0, dropped: 1_000, buffered: 0 });
    expect(failedFlushes).toBe(2 * (1 + 3)); // two batches of 50, each tried once and retried 3 times
  });

  it('does not let requests to a hung InfluxDB grow past the buffer', async () => {
    const server = await hungServer();
    cleanups.push(() => server.close());
    const w = writer({
      url: server.url,
      database: 'hung',
      maxBufferLines: 100,
      batchSize: 10,
      requestTimeoutMs: 30_000,
    });

    expectWritesNotToWait(w, points(1_000));

    expect(w.stats()).toEqual({ received: 1_000, written: 0, dropped: 900, buffered: 100, failedFlushes: 0 });
  });

  it('closes within its timeout when InfluxDB hangs, counting what was outstanding as dropped', async () => {
    const server = await hungServer();
    cleanups.push(() => server.close());
    const w = writer({
      url: server.url,
      database: 'hung',
      batchSize: 20,
      requestTimeoutMs: 30_000,
      closeTimeoutMs: 300,
    });
    w.write(points(50));
    await vi.waitFor(() => expect(server.openConnections()).toBeGreaterThan(0));

    const started = performance.now();
    await w.close();
    const closeMs = performance.now() - started;

    expect(closeMs).toBeGreaterThanOrEqual(290);
    expect(closeMs).toBeLessThan(1_000);
    expect(w.stats()).toEqual({ received: 50, written: 0, dropped: 50, buffered: 0, failedFlushes: 0 });
    // Nothing is left open towards the hung server.
    await vi.waitFor(() => expect(server.openConnections()).toBe(0));

    w.write(points(5));
    expect(w.stats()).toMatchObject({ received: 55, dropped: 55, buffered: 0 });
  });

  it('closes the socket of a request that timed out', async () => {
    const server = await hungServer();
    cleanups.push(() => server.close());
    const w = writer({ url: server.url, database: 'hung', maxRetries: 0, requestTimeoutMs: 300 });
    w.write(points(10));

    await w.flush();

    expect(w.stats()).toEqual({ received: 10, written: 0, dropped: 10, buffered: 0, failedFlushes: 1 });
    await vi.waitFor(() => expect(server.openConnections()).toBe(0));
  });

  it('keeps exact counts when InfluxDB is killed mid-run, and writes again once it is back', async () => {
    const influxd = await ownInfluxd();
    cleanups.push(() => influxd.dispose());
    await influxd.start();
    const database = 'outage';
    const influx = createInfluxQuery({ url: influxd.url, database });
    await influx.query(`CREATE DATABASE ${database}`);
    const w = writer({ url: influxd.url, database, maxBufferLines: 100, batchSize: 50, maxRetries: 2 });

    w.write(points(50));
    await w.flush();
    expect(w.stats()).toEqual({ received: 50, written: 50, dropped: 0, buffered: 0, failedFlushes: 0 });

    await influxd.kill('SIGKILL');
    expectWritesNotToWait(w, points(1_000));

    expect(w.stats()).toMatchObject({ received: 1_050, written: 50, dropped: 900, buffered: 100 });
    await untilNothingBuffered(w);
    expect(w.stats()).toMatchObject({ received: 1_050, written: 50, dropped: 1_000, buffered: 0 });

    await influxd.start();
    w.write(points(20));
    await w.flush();
    expect(w.stats()).toMatchObject({ received: 1_070, written: 70, dropped: 1_000, buffered: 0 });
    const [count] = await influx.query<{ time: number; count: number }>('SELECT count(n) FROM outage');
    expect(count?.rows[0]?.count).toBe(70);
  });
});
