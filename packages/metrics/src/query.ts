import { influxAuthorization, type InfluxCredentials } from './auth';

export interface InfluxQueryOptions extends InfluxCredentials {
  /** Base URL of InfluxDB, e.g. `http://127.0.0.1:8086`. */
  url: string;
  database: string;
  /** Default 10 000 ms for queries; `ping()` uses at most 2 000 ms. */
  timeoutMs?: number;
}

/**
 * A value bound to a `$name` parameter. InfluxDB substitutes it as a literal, so it cannot change the
 * statement. A `Date` is sent as an RFC 3339 string, which is how to compare with `time`: a number
 * compared with `time` means nanoseconds. `{ duration: '5m' }` binds a duration literal, e.g. for
 * `GROUP BY time($bucket)`.
 */
export type InfluxParam = string | number | boolean | Date | { readonly duration: string };

export type InfluxValue = string | number | boolean | null;

/** A row of a SELECT: `time` in epoch milliseconds, then one property per column. */
export type InfluxRow = { time: number } & Record<string, InfluxValue>;

/** One series of a result: rows of one measurement that share the values of the GROUP BY tags. */
export interface InfluxSeries<Row> {
  /** The measurement, or for SHOW statements what was listed (`databases`, `measurements`, …). */
  name: string;
  /** Values of the GROUP BY tags; empty without GROUP BY. */
  tags: Readonly<Record<string, string>>;
  rows: Row[];
}

export interface InfluxQuery {
  /**
   * Runs InfluxQL and returns the series of every statement, in order. `Row` states what the caller
   * expects the columns to be; it is not checked. Statements that return nothing (CREATE, DROP)
   * give no series. Throws `InfluxQueryError` when InfluxDB cannot be reached in time or reports an
   * error for the request or for any statement.
   */
  query<Row extends object = InfluxRow>(
    influxql: string,
    params?: Readonly<Record<string, InfluxParam>>,
  ): Promise<InfluxSeries<Row>[]>;
  /** Whether InfluxDB answers `/ping` within the timeout. Never throws. */
  ping(): Promise<boolean>;
}

export class InfluxQueryError extends Error {
  override readonly name = 'InfluxQueryError';

  constructor(
    message: string,
    /** HTTP status, when InfluxDB answered. */
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const PING_TIMEOUT_MS = 2_000;

export function createInfluxQuery(options: InfluxQueryOptions): InfluxQuery {
  const baseUrl = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const queryUrl = `${baseUrl}/query?${new URLSearchParams({ db: options.database, epoch: 'ms' }).toString()}`;
  const header = influxAuthorization(options);
  const authorization: Record<string, string> = header === undefined ? {} : { authorization: header };

  return {
    async query<Row extends object = InfluxRow>(
      influxql: string,
      params?: Readonly<Record<string, InfluxParam>>,
    ): Promise<InfluxSeries<Row>[]> {
      const form = new URLSearchParams({ q: influxql });
      if (params && Object.keys(params).length > 0) form.set('params', JSON.stringify(params));
      let response: Response;
      let text: string;
      try {
        // POST because InfluxDB refuses statements that change data (CREATE, DROP) over GET.
        response = await fetch(queryUrl, {
          method: 'POST',
          headers: { accept: 'application/json', ...authorization },
          body: form,
          signal: AbortSignal.timeout(timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        throw requestError(error, baseUrl, timeoutMs);
      }
      if (!response.ok) {
        throw new InfluxQueryError(
          `InfluxDB query failed: HTTP ${response.status}: ${errorText(text) ?? response.statusText}`,
          response.status,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new InfluxQueryError(
          `InfluxDB query answered with invalid JSON: ${text.slice(0, 200)}`,
          response.status,
          {
            cause: error,
          },
        );
      }
      return parseQueryResponse<Row>(body);
    },

    async ping() {
      try {
        const response = await fetch(`${baseUrl}/ping`, {
          headers: authorization,
          signal: AbortSignal.timeout(Math.min(timeoutMs, PING_TIMEOUT_MS)),
        });
        await response.body?.cancel();
        return response.ok;
      } catch {
        return false;
      }
    },
  };
}

interface QueryResponseBody {
  error?: string;
  results?: {
    statement_id?: number;
    error?: string;
    series?: { name?: string; tags?: Record<string, string>; columns?: string[]; values?: InfluxValue[][] }[];
  }[];
}

/**
 * Turns the JSON of InfluxDB's `/query` into series of row objects. Throws `InfluxQueryError` with
 * InfluxDB's message when the response or one of its statements reports an error.
 */
export function parseQueryResponse<Row extends object = InfluxRow>(body: unknown): InfluxSeries<Row>[] {
  if (typeof body !== 'object' || body === null) {
    throw new InfluxQueryError('InfluxDB query answered with something other than a JSON object');
  }
  const { error, results } = body as QueryResponseBody;
  if (error !== undefined) throw new InfluxQueryError(`InfluxDB query failed: ${error}`);
  const series: InfluxSeries<Row>[] = [];
  for (const result of results ?? []) {
    if (result.error !== undefined) {
      throw new InfluxQueryError(
        `InfluxDB query failed in statement ${result.statement_id ?? 0}: ${result.error}`,
      );
    }
    for (const { name = '', tags = {}, columns = [], values = [] } of result.series ?? []) {
      const rows = values.map((value) => {
        const row: Record<string, InfluxValue> = {};
        columns.forEach((column, index) => {
          row[column] = value[index] ?? null;
        });
        return row as Row;
      });
      series.push({ name, tags, rows });
    }
  }
  return series;
}

function errorText(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'error' in parsed &&
      typeof parsed.error === 'string'
    ) {
      return parsed.error;
    }
  } catch {
    // Not JSON (a proxy's error page, say): fall through to the raw text.
  }
  const trimmed = text.trim().slice(0, 500);
  return trimmed === '' ? undefined : trimmed;
}

function requestError(error: unknown, baseUrl: string, timeoutMs: number): InfluxQueryError {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new InfluxQueryError(`InfluxDB query timed out after ${timeoutMs} ms (${baseUrl})`, undefined, {
      cause: error,
    });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const detail =
    cause instanceof Error
      ? 'code' in cause && typeof cause.code === 'string'
        ? cause.code
        : cause.message
      : String(cause);
  return new InfluxQueryError(`InfluxDB unreachable at ${baseUrl}: ${detail}`, undefined, { cause: error });
}
