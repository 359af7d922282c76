import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Socket } from 'node:net';
import { HttpError, InfluxDB, Point, setLogger } from '@influxdata/influxdb-client';
import { influxAuthorization, type InfluxCredentials } from './auth';

export interface MetricsWriterOptions extends InfluxCredentials {
  /** Base URL of InfluxDB, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** Database written through the v1 `/write` endpoint (a DBRP-mapped bucket on 2.x, a database on 3.x). */
  database: string;
  /** Tags added to every point; a point's own tag of the same name wins. */
  tags?: Readonly<Record<string, string>>;
  /**
   * Most points held at once: waiting for the next batch, in a request, or waiting to be retried.
   * A point written while this many are held is dropped. Default 10 000.
   */
  maxBufferLines?: number;
  /** A batch is sent at the latest this long after its first point. Default 1 000 ms. */
  flushIntervalMs?: number;
  /** A batch is sent as soon as it has this many points. Default 500. */
  batchSize?: number;
  /** Retries of a failed batch after its first attempt. Default 3. */
  maxRetries?: number;
  /** A write request that shows no progress for this long fails (and its socket is closed). Default 5 000 ms. */
  requestTimeoutMs?: number;
  /** Longest that `flush()` and `close()` wait for outstanding points. Default 5 000 ms. */
  closeTimeoutMs?: number;
  /**
   * Told about failed write requests, at most once per `errorIntervalMs`.
   * Default: one `console.warn` line.
   */
  onError?: (error: Error, stats: MetricsWriterStats) => void;
  /** Default 60 000 ms. */
  errorIntervalMs?: number;
}

/** Counts of points since the writer was created; `received = written + dropped + buffered` at all times. */
export interface MetricsWriterStats {
  /** Points passed to `write()`. */
  received: number;
  /** Points InfluxDB acknowledged. */
  written: number;
  /** Points that will never be written. See `createMetricsWriter` for when a point is dropped. */
  dropped: number;
  /** Points held now: in the batch being filled, in a request, or waiting for a retry. */
  buffered: number;
  /** Failed attempts to write a batch, whether it was retried afterwards or dropped. */
  failedFlushes: number;
}

export interface MetricsWriter {
  /** Queues points for the next batch. Synchronous, never throws, never waits for InfluxDB. */
  write(points: Point | readonly Point[]): void;
  /**
   * Sends the current batch and the retry buffer now, and waits until nothing is buffered or
   * `closeTimeoutMs` has passed. Never rejects.
   */
  flush(): Promise<void>;
  /**
   * Sends what is buffered once more (no further retries), then stops. Resolves within
   * `closeTimeoutMs`; points still outstanding then are counted as dropped. Never rejects.
   */
  close(): Promise<void>;
  stats(): MetricsWriterStats;
}

const MIN_RETRY_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 2_000;
/** After this long since its first attempt a batch gets no more retries, however many are left. */
const MAX_RETRY_TIME_MS = 10_000;

/**
 * Creates a writer of points to InfluxDB's v1 `/write` endpoint (served by 1.x, 2.x and 3.x) on top of
 * the batching and retrying `WriteApi` of `@influxdata/influxdb-client`.
 *
 * Every point passed to `write()` ends up exactly once in `written` or `dropped`. It is dropped when:
 * - `maxBufferLines` points are already buffered (the newest point is dropped, not an older one);
 * - it has no fields, or `write()` is called after `close()`;
 * - its batch failed and gets no retry: InfluxDB answered with a status below 429 (e.g. 400 bad
 *   point, 404 unknown database), or the batch has used `maxRetries` retries or 10 s since its first attempt;
 *   of a 400 "partial write", only the points InfluxDB reports as dropped count as dropped;
 * - the client's retry buffer evicts it to stay under `maxBufferLines` (the buffer limit above keeps
 *   that from happening, but it is counted if it does);
 * - `close()` runs: points failing their last attempt, and any still outstanding after `closeTimeoutMs`.
 */
export function createMetricsWriter(options: MetricsWriterOptions): MetricsWriter {
  const maxBufferLines = options.maxBufferLines ?? 10_000;
  const maxRetries = options.maxRetries ?? 3;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  const errorIntervalMs = options.errorIntervalMs ?? 60_000;
  const onError = options.onError ?? warnOnConsole;
  silenceClientLog();

  const counts = { received: 0, written: 0, dropped: 0, failedFlushes: 0 };
  const buffered = (): number => counts.received - counts.written - counts.dropped;
  let state: 'open' | 'closing' | 'closed' = 'open';
  let closing: Promise<void> | undefined;
  const idleWaiters = new Set<() => void>();
  let lastErrorReportAt = Number.NEGATIVE_INFINITY;

  function settle(written: number, dropped: number): void {
    // After close() has counted everything left as dropped, late answers must not count again.
    if (state === 'closed') return;
    counts.written += written;
    counts.dropped += dropped;
    if (buffered() === 0) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters.clear();
    }
  }

  function waitUntilIdle(timeoutMs: number): Promise<void> {
    if (buffered() === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        idleWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      idleWaiters.add(done);
    });
  }

  function reportError(error: Error): void {
    const now = Date.now();
    if (now - lastErrorReportAt < errorIntervalMs) return;
    lastErrorReportAt = now;
    try {
      onError(error, stats());
    } catch {
      // A faulty hook must not break writing.
    }
  }

  function stats(): MetricsWriterStats {
    return { ...counts, buffered: buffered() };
  }

  const agent = socketClosingAgent(options.url, requestTimeoutMs);
  const authorization = influxAuthorization(options);
  const writeApi = new InfluxDB({
    url: options.url,
    // Set as a header rather than `token`, so that basic auth (InfluxDB 1.x users) goes the same way.
    headers: authorization === undefined ? undefined : { authorization },
    timeout: requestTimeoutMs,
    transportOptions: { agent },
  }).getWriteApi('', options.database, 'ms', {
    batchSize: options.batchSize ?? 500,
    flushInterval: options.flushIntervalMs ?? 1_000,
    maxBufferLines,
    maxRetries,
    maxRetryTime: MAX_RETRY_TIME_MS,
    minRetryDelay: MIN_RETRY_DELAY_MS,
    maxRetryDelay: MAX_RETRY_DELAY_MS,
    exponentialBase: 2,
    retryJitter: 100,
    defaultTags: options.tags ? { ...options.tags } : undefined,
    writeSuccess(lines) {
      settle(lines.length, 0);
    },
    writeRetrySkipped({ lines }) {
      settle(0, lines.length);
    },
    // Decides every failed attempt itself: returning undefined hands the lines to the client's retry
    // buffer, under exactly the conditions the client retries on; any other outcome is settled here
    // and a resolved promise stops the client from acting on it.
    writeFailed(error, lines, attempt, expires) {
      if (state === 'closed') return Promise.resolve();
      counts.failedFlushes += 1;
      // InfluxDB Enterprise accepted the points; the client would resolve without calling writeSuccess.
      if (error instanceof HttpError && error.body?.includes('hinted handoff queue not empty')) {
        settle(lines.length, 0);
        return Promise.resolve();
      }
      const retriable = !(error instanceof HttpError) || error.statusCode >= 429;
      if (state === 'open' && retriable && attempt <= maxRetries && expires > Date.now()) {
        reportError(error);
        return undefined;
      }
      const dropped = Math.min(droppedByPartialWrite(error) ?? lines.length, lines.length);
      settle(lines.length - dropped, dropped);
      reportError(error);
      return Promise.resolve();
    },
  });
  writeApi.path = `/write?db=${encodeURIComponent(options.database)}&precision=ms`;

  return {
    write(points) {
      for (const point of points instanceof Point ? [points] : points) {
        counts.received += 1;
        if (state !== 'open' || buffered() > maxBufferLines) {
          counts.dropped += 1;
          continue;
        }
        let line: string | undefined;
        try {
          line = point.toLineProtocol(writeApi);
          if (line !== undefined) writeApi.writeRecord(line);
        } catch (error) {
          line = undefined;
          reportError(error instanceof Error ? error : new Error(String(error)));
        }
        if (line === undefined) counts.dropped += 1;
      }
    },

    async flush() {
      if (state !== 'open') return;
      await writeApi.flush(true).catch(() => undefined);
      await waitUntilIdle(closeTimeoutMs);
    },

    close() {
      closing ??= (async () => {
        state = 'closing';
        const deadline = waitUntilIdle(closeTimeoutMs);
        // Failures from here on are dropped in writeFailed, so this is one last attempt per batch.
        await Promise.race([writeApi.flush(true).catch(() => undefined), deadline]);
        await deadline;
        writeApi.dispose();
        agent.destroy();
        counts.dropped += buffered();
        state = 'closed';
      })();
      return closing;
    },

    stats,
  };
}

/** InfluxDB 1.x answers a batch with some rejected points as HTTP 400 `partial write: … dropped=N`. */
function droppedByPartialWrite(error: Error): number | undefined {
  if (!(error instanceof HttpError) || error.statusCode !== 400) return undefined;
  const match = /partial write:.*dropped=(\d+)/s.exec(error.body ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The client reports a timed-out request but leaves its socket open, so a hung (not down) InfluxDB
 * would collect one open socket per attempt. This agent closes a socket once it has been idle for
 * the request timeout while a request was using it.
 */
function socketClosingAgent(url: string, idleTimeoutMs: number): HttpAgent {
  const agent = url.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true })
    : new HttpAgent({ keepAlive: true });
  const createConnection = agent.createConnection.bind(agent);
  agent.createConnection = (connectOptions, callback) => {
    const socket = createConnection(connectOptions, callback);
    if (socket instanceof Socket) socket.setTimeout(idleTimeoutMs, () => socket.destroy());
    return socket;
  };
  return agent;
}

function warnOnConsole(error: Error, stats: MetricsWriterStats): void {
  console.warn(
    `metrics: InfluxDB write failed (${error.message.trim()}); ${stats.dropped} points dropped, ${stats.buffered} buffered so far`,
  );
}

let clientLogSilenced = false;

/**
 * The client logs every failed attempt to the console. The writer reports failures itself (stats and
 * the rate-limited onError), and this package is the only user of the client in the process.
 */
function silenceClientLog(): void {
  if (clientLogSilenced) return;
  clientLogSilenced = true;
  setLogger({ error: () => undefined, warn: () => undefined });
}
