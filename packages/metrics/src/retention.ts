/**
 * How long InfluxDB keeps the tracking metrics: the raw points in the default policy (`autogen`) for the
 * pipeline page's ranges, and hourly downsampled series in `long_term` for years, filled by continuous
 * queries. InfluxQL only (1.x, and 2.x/3.x through their v1 compatibility API, which map policies to
 * buckets). Idempotent: run at every worker start.
 */
import { MEASUREMENT } from './measurements';
import type { InfluxQuery } from './query';

export const LONG_TERM_POLICY = 'long_term';

export interface MetricsRetention {
  /** Days of raw points; at least the pipeline page's longest range (90 days). */
  rawDays: number;
  /** Days of the hourly series. */
  longTermDays: number;
}

/** The worker's defaults (INFLUX_RAW_RETENTION_DAYS, INFLUX_LONG_TERM_RETENTION_DAYS). */
export const defaultMetricsRetention: MetricsRetention = { rawDays: 100, longTermDays: 1825 };

/** The hourly measurement a raw one is downsampled into. */
export const hourly = (measurement: string) => `${measurement}_1h`;

/**
 * One SELECT … INTO per measurement, grouped by every tag (`*`) so series stay apart. Sums stay sums;
 * latencies keep their count, mean, 50th, 95th and 99th percentile and maximum (percentiles do not add up
 * across hours, so long ranges show the highest hourly percentile).
 */
export function downsampleSelects(database: string): Record<string, string> {
  const into = (measurement: string) => `"${database}"."${LONG_TERM_POLICY}"."${hourly(measurement)}"`;
  return {
    [MEASUREMENT.ingestBatch]: `SELECT sum("records") AS "records", sum("accepted") AS "accepted",
      sum("duplicates") AS "duplicates", sum("revised") AS "revised", sum("rejected") AS "rejected",
      count("db_ms") AS "batches", mean("db_ms") AS "db_ms_mean", percentile("db_ms", 50) AS "db_ms_p50",
      percentile("db_ms", 95) AS "db_ms_p95", percentile("db_ms", 99) AS "db_ms_p99", max("db_ms") AS "db_ms_max",
      percentile("e2e_ms", 50) AS "e2e_ms_p50", percentile("e2e_ms", 95) AS "e2e_ms_p95",
      percentile("e2e_ms", 99) AS "e2e_ms_p99", max("e2e_ms") AS "e2e_ms_max"
      INTO ${into(MEASUREMENT.ingestBatch)} FROM "${MEASUREMENT.ingestBatch}" GROUP BY time(1h), *`,
    [MEASUREMENT.consumerLag]: `SELECT max("offsets") AS "offsets", max("seconds") AS "seconds"
      INTO ${into(MEASUREMENT.consumerLag)} FROM "${MEASUREMENT.consumerLag}" GROUP BY time(1h), *`,
    [MEASUREMENT.validation]: `SELECT sum("count") AS "count"
      INTO ${into(MEASUREMENT.validation)} FROM "${MEASUREMENT.validation}" GROUP BY time(1h), *`,
    [MEASUREMENT.jobRun]: `SELECT sum("items") AS "items", count("duration_ms") AS "runs",
      mean("duration_ms") AS "duration_ms_mean", max("duration_ms") AS "duration_ms_max"
      INTO ${into(MEASUREMENT.jobRun)} FROM "${MEASUREMENT.jobRun}" GROUP BY time(1h), *`,
  };
}

const cqName = (measurement: string) => `cq_${hourly(measurement)}`;
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Sets the raw policy's duration, creates or alters `long_term`, and (re)creates the continuous queries
 * whose text differs, backfilling each from the raw points kept. `RESAMPLE FOR 2h` recomputes the previous hour too, so points that arrive late
 * (the worker's buffer after an InfluxDB outage) still reach the hourly series.
 */
export async function ensureMetricsRetention(
  influx: InfluxQuery,
  database: string,
  retention: MetricsRetention,
): Promise<{ changed: string[] }> {
  const changed: string[] = [];
  const db = `"${database}"`;
  const [policies] = await influx.query<{ name: string; duration: string; default: boolean }>(
    `SHOW RETENTION POLICIES ON ${db}`,
  );
  const existing = new Map((policies?.rows ?? []).map((row) => [row.name, row]));
  const raw = `${retention.rawDays * 24}h0m0s`;
  if (existing.get('autogen')?.duration !== raw) {
    await influx.query(`ALTER RETENTION POLICY "autogen" ON ${db} DURATION ${retention.rawDays}d DEFAULT`);
    changed.push(`autogen ${retention.rawDays}d`);
  }
  const longTerm = `${retention.longTermDays * 24}h0m0s`;
  if (!existing.has(LONG_TERM_POLICY)) {
    await influx.query(
      `CREATE RETENTION POLICY "${LONG_TERM_POLICY}" ON ${db} DURATION ${retention.longTermDays}d REPLICATION 1 SHARD DURATION 30d`,
    );
    changed.push(`${LONG_TERM_POLICY} ${retention.longTermDays}d`);
  } else if (existing.get(LONG_TERM_POLICY)?.duration !== longTerm) {
    await influx.query(
      `ALTER RETENTION POLICY "${LONG_TERM_POLICY}" ON ${db} DURATION ${retention.longTermDays}d`,
    );
    changed.push(`${LONG_TERM_POLICY} ${retention.longTermDays}d`);
  }

  const shown = await influx.query<{ name: string; query: string }>('SHOW CONTINUOUS QUERIES');
  const current = new Map(
    (shown.find((series) => series.name === database)?.rows ?? []).map((row) => [
      row.name,
      squash(row.query),
    ]),
  );
  for (const [measurement, select] of Object.entries(downsampleSelects(database))) {
    const name = cqName(measurement);
    const statement = `CREATE CONTINUOUS QUERY "${name}" ON ${db} RESAMPLE FOR 2h BEGIN ${squash(select)} END`;
    const have = current.get(name);
    // InfluxDB stores the query re-printed (identifiers unquoted, FROM qualified): compare what we choose,
    // the fields and the target, so a changed definition replaces the old one.
    const fields = squash(select.slice(0, select.indexOf(' INTO '))).replaceAll('"', '');
    const target = `${LONG_TERM_POLICY}.${hourly(measurement)}`;
    if (have?.includes('RESAMPLE FOR 2h') && have.includes(fields) && have.includes(target)) continue;
    if (have !== undefined) await influx.query(`DROP CONTINUOUS QUERY "${name}" ON ${db}`);
    await influx.query(statement);
    // A continuous query only sees the hours after it exists: the raw points still kept are downsampled
    // once here, so the long ranges show them too (rewriting an hour replaces its point, so this repeats safely).
    await influx.query(select.replace(/\sGROUP BY/, ` WHERE time >= now() - ${retention.rawDays}d GROUP BY`));
    changed.push(name);
  }
  return { changed };
}
