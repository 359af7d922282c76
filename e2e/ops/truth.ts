/**
 * What the operations pages must show, read straight from the stores the app reads: Postgres
 * (`DATABASE_URL`), InfluxDB (`INFLUX_URL`, `INFLUX_DB`) and the simulator's manifest (`E2E_MANIFEST`).
 * Specs compare the page's numbers with these, digit for digit.
 */
import fs from 'node:fs';
import postgres from 'postgres';
import { databaseUrl, influxDatabase, influxToken, influxUrl, manifestPath } from '../env';

export function connect() {
  return postgres(databaseUrl, { max: 2, onnotice: () => {} });
}

export type Sql = ReturnType<typeof connect>;

/** Rows of the first series of an InfluxQL query, or one series per tag set with GROUP BY. */
export async function influx(
  query: string,
): Promise<{ tags: Record<string, string>; rows: Record<string, number | string | null>[] }[]> {
  const response = await fetch(`${influxUrl}/query?db=${encodeURIComponent(influxDatabase)}&epoch=ms`, {
    method: 'POST',
    headers: influxToken ? { authorization: `Token ${influxToken}` } : {},
    body: new URLSearchParams({ q: query }),
  });
  const body = (await response.json()) as {
    results?: {
      error?: string;
      series?: { tags?: Record<string, string>; columns: string[]; values: (number | string | null)[][] }[];
    }[];
  };
  const result = body.results?.[0];
  if (!response.ok || result?.error) throw new Error(`InfluxDB: ${result?.error ?? response.status}`);
  return (result?.series ?? []).map((series) => ({
    tags: series.tags ?? {},
    rows: series.values.map((values) =>
      Object.fromEntries(series.columns.map((column, index) => [column, values[index] ?? null])),
    ),
  }));
}

export interface Manifest {
  options: { startDay: string; endDay: string; meters: number };
  expected: {
    totalKwh: string;
    rejectedByRule: Record<string, number>;
    storedReadings: number;
    revisions: number;
  };
}

export function manifest(): Manifest | null {
  if (!manifestPath) return null;
  return JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as Manifest;
}

/** The local days the scenario covers: from the manifest, or the days that have aggregates. */
export async function scenarioDays(sql: Sql): Promise<{ from: string; to: string }> {
  const known = manifest();
  if (known) return { from: known.options.startDay, to: known.options.endDay };
  const [row] = await sql<{ from: string; to: string }[]>`
    select to_char(min(day), 'YYYY-MM-DD') as from, to_char(max(day), 'YYYY-MM-DD') as to from dimension_usage_daily`;
  if (!row?.from) throw new Error('the database has no aggregates: ingest a scenario first');
  return row;
}

// The page's formats, restated so the comparison does not depend on the app's own code.

export function decimal(value: string): string {
  const [whole = '', fraction] = value.split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

export function count(value: number): string {
  return value.toLocaleString('en-GB', { maximumFractionDigits: 0 });
}

/** One decimal, and never 100.0 % for an incomplete share. */
export function share(part: number, whole: number): string {
  let rounded = Math.round((part / whole) * 1000) / 10;
  if (rounded === 100 && part < whole) rounded = 99.9;
  return `${rounded.toFixed(1)} %`;
}
