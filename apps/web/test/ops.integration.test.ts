/**
 * The operations procedures against real Postgres and InfluxDB, each reading data this file writes:
 * a fresh InfluxDB database, and Postgres rows under unique region, meter, tariff and topic names.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxQuery } from '@meterops/metrics/query';
import { ensureMetricsRetention } from '@meterops/metrics/retention';
import { env } from '../src/env';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData } from './support';

const { db, close } = createTestDb();
const data = new TestData(db);
const run = randomUUID().slice(0, 8);
const influxDatabase = `meterops_web_it_${run}`;
const influx = createInfluxQuery({ url: env.INFLUX_URL, database: influxDatabase, token: env.INFLUX_TOKEN });

/** An operator's caller whose InfluxDB is this file's database. */
async function operator() {
  const ctx = await contextFor(db, await data.user('operator'));
  return createCaller({ ...ctx, influx });
}

afterAll(async () => {
  await influx.query(`DROP DATABASE "${influxDatabase}"`).catch(() => undefined);
  await data.cleanup();
  await close();
});

describe('pipeline procedures (InfluxDB)', () => {
  const group = `it-${run}`;
  const topic = `it.${run}.readings`;
  const now = Date.now();
  const at = (secondsAgo: number) => now - secondsAgo * 1000;

  beforeAll(async () => {
    await influx.query(`CREATE DATABASE "${influxDatabase}"`);
    const tags = `group=${group},topic=${topic}`;
    const lines = [
      // Three batches: 10 messages, 600 readings stored, 3 duplicates, 4 rejected.
      `ingest_batch,topic=${topic},worker=w1 records=2i,accepted=100i,duplicates=1i,revised=0i,rejected=3i,db_ms=10,e2e_ms=1000 ${at(240)}`,
      `ingest_batch,topic=${topic},worker=w1 records=3i,accepted=200i,duplicates=0i,revised=1i,rejected=0i,db_ms=20,e2e_ms=2000 ${at(180)}`,
      `ingest_batch,topic=${topic},worker=w1 records=5i,accepted=300i,duplicates=2i,revised=0i,rejected=1i,db_ms=30,e2e_ms=3000 ${at(120)}`,
      `validation,outcome=rejected,rule=negative_value count=3i ${at(240)}`,
      `validation,outcome=rejected,rule=unknown_meter count=1i ${at(120)}`,
      `validation,outcome=flagged,rule=spike count=2i ${at(120)}`,
      // Partition 0 catches up; partition 1's lag only grows while it commits; partition 2 stopped
      // committing seven minutes ago with lag left.
      ...[120, 90, 60, 30, 0].map(
        (ago, index) =>
          `consumer_lag,${tags},partition=0 offsets=${[40, 30, 20, 10, 0][index]}i,seconds=1 ${at(ago)}`,
      ),
      ...[120, 90, 60, 30, 0].map(
        (ago, index) =>
          `consumer_lag,${tags},partition=1 offsets=${[10, 20, 20, 35, 50][index]}i,seconds=${index + 1} ${at(ago)}`,
      ),
      ...[120, 60, 0].map((ago) => `consumer_lag,${tags},partition=2 offsets=70i,seconds=420 ${at(ago)}`),
      `commit,${tags},partition=0 offset=500i ${at(100)}`,
      `commit,${tags},partition=0 offset=540i ${at(5)}`,
      `commit,${tags},partition=1 offset=200i ${at(400)}`,
      `commit,${tags},partition=1 offset=230i ${at(10)}`,
      `commit,${tags},partition=2 offset=900i ${at(420)}`,
    ];
    const response = await fetch(`${env.INFLUX_URL}/write?db=${influxDatabase}&precision=ms`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(response.status).toBe(204);
    await db.execute(sql`
      insert into ingest_offsets (consumer_group, topic, partition, next_offset)
      values (${group}, ${topic}, 0, 540), (${group}, ${topic}, 1, 230)`);
  });

  afterAll(async () => {
    await db.execute(sql`delete from ingest_offsets where consumer_group = ${group}`);
  });

  it('sums readings in and out over the range', async () => {
    const caller = await operator();
    const result = await caller.pipeline.throughput({ range: '15m' });
    expect(result.totals).toEqual({
      messages: 10,
      readingsIn: 607,
      stored: 600,
      duplicates: 3,
      rejected: 4,
      revised: 1,
    });
    expect(result.bucketMs).toBe(15_000);
    expect(result.points.reduce((sum, point) => sum + point.stored, 0)).toBe(600);
  });

  it('gives nearest-rank percentiles of batch latency', async () => {
    const caller = await operator();
    const { summary, points } = await caller.pipeline.latency({ range: '15m' });
    expect(summary).toEqual({
      batches: 3,
      dbMs: { p50: 20, p95: 30, p99: 30 },
      e2eMs: { p50: 2000, p95: 3000, p99: 3000 },
    });
    expect(points.reduce((sum, point) => sum + point.batches, 0)).toBe(3);
  });

  it('counts rejections and flags per rule, most rejected first', async () => {
    const caller = await operator();
    const { rules } = await caller.pipeline.rules({ range: '1h' });
    expect(rules).toEqual([
      { rule: 'negative_value', rejected: 3, flagged: 0 },
      { rule: 'unknown_meter', rejected: 1, flagged: 0 },
      { rule: 'spike', rejected: 0, flagged: 2 },
    ]);
  });

  it('judges each partition, marks the worst, and reports trend and freshness', async () => {
    const caller = await operator();
    const result = await caller.pipeline.consumers({ range: '1h' });
    const byPartition = new Map(result.partitions.map((partition) => [partition.partition, partition]));
    expect(byPartition.get(0)).toMatchObject({
      status: 'OK',
      lagOffsets: 0,
      committedOffset: 540,
      storedNextOffset: '540',
      worst: false,
    });
    expect(byPartition.get(1)).toMatchObject({
      status: 'WARN',
      lagOffsets: 50,
      lagSeconds: 5,
      committedOffset: 230,
      worst: false,
    });
    expect(byPartition.get(2)).toMatchObject({
      status: 'STOP',
      lagOffsets: 70,
      storedNextOffset: null,
      worst: true,
    });
    expect(result.status).toBe('STOP');
    expect(result.totalLagOffsets).toBe(120);
    expect(result.freshness.lastCommitAt?.getTime()).toBe(at(5));
    expect(result.series.map((entry) => entry.label)).toEqual(['Partition 0', 'Partition 1', 'Partition 2']);
  });
});

describe('pipeline procedures over 7 and 90 days (InfluxDB hourly series)', () => {
  const longDatabase = `meterops_web_it_long_${run}`;
  const longInflux = createInfluxQuery({
    url: env.INFLUX_URL,
    database: longDatabase,
    token: env.INFLUX_TOKEN,
  });
  const group = `it-long-${run}`;
  const topic = `it.long.${run}.readings`;
  const hour = 3_600_000;
  const now = Date.now();
  const hourA = Math.floor(now / hour) * hour - 72 * hour;
  const hourB = hourA + 24 * hour;
  const hourOld = hourA - 60 * 24 * hour;

  async function longOperator() {
    const ctx = await contextFor(db, await data.user('operator'));
    return createCaller({ ...ctx, influx: longInflux });
  }

  async function write(lines: string[], policy?: string) {
    const rp = policy === undefined ? '' : `&rp=${policy}`;
    const response = await fetch(`${env.INFLUX_URL}/write?db=${longDatabase}&precision=ms${rp}`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(response.status).toBe(204);
  }

  beforeAll(async () => {
    await longInflux.query(`CREATE DATABASE "${longDatabase}"`);
    await ensureMetricsRetention(longInflux, longDatabase, { rawDays: 100, longTermDays: 1825 });
    // Written straight into the hourly series, as the continuous queries would have: the long ranges must
    // read these, and not the raw points of the same hours (which hold other numbers on purpose).
    await write(
      [
        `ingest_batch_1h,topic=${topic},worker=w1 records=1000i,accepted=900i,duplicates=60i,revised=7i,rejected=40i,batches=4i,db_ms_p50=11,db_ms_p95=40,db_ms_p99=45,e2e_ms_p50=100,e2e_ms_p95=400,e2e_ms_p99=450 ${hourA}`,
        `ingest_batch_1h,topic=${topic},worker=w1 records=500i,accepted=450i,duplicates=0i,revised=0i,rejected=50i,batches=2i,db_ms_p50=13,db_ms_p95=30,db_ms_p99=50,e2e_ms_p50=90,e2e_ms_p95=500,e2e_ms_p99=520 ${hourB}`,
        `ingest_batch_1h,topic=${topic},worker=w1 records=10000i,accepted=10000i,duplicates=0i,revised=0i,rejected=0i,batches=10i,db_ms_p50=1,db_ms_p95=2,db_ms_p99=3,e2e_ms_p50=4,e2e_ms_p95=5,e2e_ms_p99=6 ${hourOld}`,
        `validation_1h,outcome=rejected,rule=negative_value count=30i ${hourA}`,
        `consumer_lag_1h,group=${group},topic=${topic},partition=0 offsets=70i,seconds=420 ${hourA}`,
      ],
      'long_term',
    );
    await write([
      `ingest_batch,topic=${topic},worker=w1 records=1i,accepted=1i,duplicates=0i,revised=0i,rejected=0i,db_ms=999,e2e_ms=999 ${hourA + 60_000}`,
      `validation,outcome=rejected,rule=negative_value count=3i ${hourA + 60_000}`,
      // The last minutes are not downsampled yet: they come from the raw points.
      `ingest_batch,topic=${topic},worker=w1 records=5i,accepted=4i,duplicates=1i,revised=0i,rejected=0i,db_ms=7,e2e_ms=70 ${now - 30_000}`,
      `validation,outcome=flagged,rule=spike count=2i ${now - 30_000}`,
    ]);
  });

  afterAll(async () => {
    await longInflux.query(`DROP DATABASE "${longDatabase}"`).catch(() => undefined);
  });

  it('sums the hourly series, and the raw points only after the last downsampled hour', async () => {
    const caller = await longOperator();
    const week = await caller.pipeline.throughput({ range: '7d' });
    expect(week.totals).toEqual({
      messages: 1505,
      readingsIn: 1505,
      stored: 1354,
      duplicates: 61,
      rejected: 90,
      revised: 7,
    });
    expect(week.bucketMs).toBe(2 * hour);
    expect(week.points.find((point) => point.time === hourA - (hourA % (2 * hour)))).toMatchObject({
      messages: 1000,
      stored: 900,
    });
    const quarter = await caller.pipeline.throughput({ range: '90d' });
    expect(quarter.bucketMs).toBe(24 * hour);
    expect(quarter.totals.messages).toBe(11_505);
  });

  it('shows the worst hourly percentiles of batch latency', async () => {
    const caller = await longOperator();
    const { hourly, summary } = await caller.pipeline.latency({ range: '7d' });
    expect(hourly).toBe(true);
    expect(summary).toEqual({
      batches: 7,
      dbMs: { p50: 13, p95: 40, p99: 50 },
      e2eMs: { p50: 100, p95: 500, p99: 520 },
    });
  });

  it('counts rules and the highest lag from the hourly series', async () => {
    const caller = await longOperator();
    const { rules } = await caller.pipeline.rules({ range: '7d' });
    expect(rules).toEqual([
      { rule: 'negative_value', rejected: 30, flagged: 0 },
      { rule: 'spike', rejected: 0, flagged: 2 },
    ]);
    const { series } = await caller.pipeline.consumers({ range: '90d' });
    expect(series.find((entry) => entry.id.startsWith(`${group}\u0000`))?.points).toEqual([
      { time: hourA - (hourA % (24 * hour)), offsets: 70, seconds: 420 },
    ]);
  });
});

describe('consumption and completeness procedures (Postgres)', () => {
  const regionA = `it-${run}-a`;
  const regionB = `it-${run}-b`;
  const tariff = `IT-${run}`;
  const customer = `it-customer-${run}`;
  const meters = [`IT-${run}-1`, `IT-${run}-2`, `IT-${run}-3`];
  const day = '2026-06-10';
  const quiet = '2091-02-01';

  beforeAll(async () => {
    await db.execute(
      sql`insert into tariffs (id, name, kind, base_price_per_kwh) values (${tariff}, 'test', 'flat', 0.2)`,
    );
    await db.execute(
      sql`insert into customers (id, name, region, segment) values (${customer}, 'test', ${regionA}, 'residential')`,
    );
    for (const meter of meters) {
      await db.execute(sql`
        insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
        values (${meter}, ${customer}, ${regionA}, 'residential', ${tariff}, 15, 'Europe/London', 5, '2024-01-01T00:00:00Z')`);
    }
    // Meter 1 complete, meter 2 missing six intervals, meter 3 silent (no row at all).
    await db.execute(sql`
      insert into meter_usage_daily (meter_id, day, kwh, expected_intervals, actual_intervals, status)
      values (${meters[0]}, ${day}, 10, 96, 96, 'final'), (${meters[1]}, ${day}, 9, 96, 90, 'provisional')`);
    await db.execute(sql`
      insert into dimension_usage_daily (day, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
      values (${quiet}, 'region', ${regionA}, 12.5, 288, 280, 3, 'final', '2091-02-02T03:00:00Z'),
             (${quiet}, 'region', ${regionB}, 7.25, 96, 96, 0, 'provisional', '2091-02-01T23:00:00Z'),
             ('2091-02-02', 'region', ${regionA}, 1.0001, 288, 10, 0, 'provisional', '2091-02-02T23:00:00Z')`);
    await db.execute(sql`
      insert into settlement_period_usage (region, period_start, kwh, expected_intervals, actual_intervals, status)
      values (${regionA}, '2091-02-01T00:00:00Z', 1.25, 6, 6, 'final'), (${regionA}, '2091-02-01T00:30:00Z', 2.5, 6, 5, 'provisional')`);
    // Readings of meter 2 on the day, arriving at different times (the day is Europe/London summer time:
    // D+1 ends 2026-06-11T23:00Z, D+5 ends 2026-06-15T23:00Z).
    const readings: [string, string, number][] = [
      ['2026-06-10T08:00:00Z', '2026-06-11T10:00:00Z', 1],
      ['2026-06-10T08:15:00Z', '2026-06-11T22:59:00Z', 1],
      ['2026-06-10T08:30:00Z', '2026-06-13T10:00:00Z', 1],
      ['2026-06-10T08:45:00Z', '2026-06-20T10:00:00Z', 1],
      // First an estimate (stored on D+1), replaced by the meter's value on D+9: it arrived late.
      ['2026-06-10T09:00:00Z', '2026-06-11T05:00:00Z', 2],
    ];
    for (const [start, firstReceived, version] of readings) {
      await db.execute(sql`
        insert into readings (meter_id, interval_start, kwh, quality, source, version, received_at, first_received_at)
        values (${meters[1]}, ${start}, 0.1, 'actual', 'meter', ${version}, ${firstReceived}, ${firstReceived})`);
    }
    await db.execute(sql`
      insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor, created_at)
      values (${meters[1]}, '2026-06-10T09:00:00Z', 0.09, 0.1, 'estimated', 'actual', 1, 2, 'meter_resend', 'actual reading replaced an estimate', 'it', '2026-06-19T10:00:00Z')`);
  });

  afterAll(async () => {
    await db.execute(sql`delete from readings where meter_id in (${meters[0]}, ${meters[1]}, ${meters[2]})`);
    await db.execute(
      sql`delete from meter_usage_daily where meter_id in (${meters[0]}, ${meters[1]}, ${meters[2]})`,
    );
    await db.execute(sql`delete from dimension_usage_daily where key in (${regionA}, ${regionB})`);
    await db.execute(sql`delete from settlement_period_usage where region = ${regionA}`);
    await db.execute(sql`delete from dimension_usage_hourly where key = ${tariff}`);
    await db.execute(sql`delete from meters where customer_id = ${customer}`);
    await db.execute(sql`delete from customers where id = ${customer}`);
    await db.execute(sql`delete from tariffs where id = ${tariff}`);
  });

  it('gives kWh per key and day with each row provisional or final and when it was computed', async () => {
    const caller = await operator();
    const { rows } = await caller.consumption.byDimension({
      dimension: 'region',
      granularity: 'day',
      from: quiet,
      to: '2091-02-02',
    });
    const mine = rows.filter((row) => row.key === regionA || row.key === regionB);
    expect(mine.map((row) => [row.period, row.key, row.kwh, row.status])).toEqual([
      [quiet, regionA, '12.5000', 'final'],
      [quiet, regionB, '7.2500', 'provisional'],
      ['2091-02-02', regionA, '1.0001', 'provisional'],
    ]);
    expect(mine[0]?.computedAt.toISOString()).toBe('2091-02-02T03:00:00.000Z');
  });

  it('sums a month exactly and calls it final only when every day is', async () => {
    const caller = await operator();
    const { rows } = await caller.consumption.byDimension({
      dimension: 'region',
      granularity: 'month',
      from: quiet,
      to: '2091-02-28',
    });
    expect(rows.find((row) => row.key === regionA)).toMatchObject({
      period: '2091-02-01',
      kwh: '13.5001',
      parts: 2,
      finalParts: 1,
      status: 'provisional',
    });
  });

  it('builds a region hour from its two settlement periods', async () => {
    const caller = await operator();
    const { rows } = await caller.consumption.byDimension({
      dimension: 'region',
      granularity: 'hour',
      from: quiet,
      to: quiet,
    });
    expect(rows.find((row) => row.key === regionA)).toMatchObject({
      period: '2091-02-01T00:00:00Z',
      kwh: '3.7500',
      expected: 12,
      actual: 11,
      status: 'provisional',
    });
    const settlement = await caller.consumption.settlement({ day: quiet, region: regionA });
    expect(settlement.rows.map((row) => [row.periodStart.toISOString(), row.kwh, row.status])).toEqual([
      ['2091-02-01T00:00:00.000Z', '1.2500', 'final'],
      ['2091-02-01T00:30:00.000Z', '2.5000', 'provisional'],
    ]);
  });

  it('reads tariff hours from their hourly rows, up to 7 days', async () => {
    await db.execute(sql`
      insert into dimension_usage_hourly (hour_start, dimension, key, kwh, expected_intervals, actual_intervals, status, computed_at)
      values ('2091-02-01T05:00:00Z', 'tariff', ${tariff}, 1.5, 12, 12, 'final', '2091-02-03T00:00:00Z'),
             ('2091-02-07T23:00:00Z', 'tariff', ${tariff}, 0.25, 12, 4, 'provisional', '2091-02-08T00:00:00Z')`);
    const caller = await operator();
    const { rows } = await caller.consumption.byDimension({
      dimension: 'tariff',
      granularity: 'hour',
      from: quiet,
      to: '2091-02-07',
    });
    expect(
      rows
        .filter((row) => row.key === tariff)
        .map((row) => [row.period, row.kwh, row.expected, row.actual, row.parts, row.status]),
    ).toEqual([
      ['2091-02-01T05:00:00Z', '1.5000', 12, 12, 1, 'final'],
      ['2091-02-07T23:00:00Z', '0.2500', 12, 4, 1, 'provisional'],
    ]);
  });

  it('refuses ranges that are too long for the granularity', async () => {
    const caller = await operator();
    await expect(
      caller.consumption.byDimension({
        dimension: 'segment',
        granularity: 'hour',
        from: '2091-01-01',
        to: '2091-01-10',
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      caller.completeness.overview({ from: '2091-01-10', to: '2091-01-01' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('lays out the day × region grid with every day of the range', async () => {
    const caller = await operator();
    const result = await caller.completeness.overview({ from: quiet, to: '2091-02-03' });
    expect(result.days).toEqual([quiet, '2091-02-02', '2091-02-03']);
    expect(result.regions).toEqual(expect.arrayContaining([regionA, regionB]));
    expect(result.cells.find((cell) => cell.region === regionA && cell.day === quiet)).toMatchObject({
      expected: 288,
      actual: 280,
      estimated: 3,
      status: 'final',
    });
  });

  it('lists the meters behind a gap, a silent meter as entirely missing', async () => {
    const caller = await operator();
    const result = await caller.completeness.meterGaps({ day, region: regionA });
    expect(result).toMatchObject({ total: 2, meters: 3, page: 1 });
    expect(
      result.rows.map((row) => [row.meterId, row.expected, row.actual, row.missing, row.status]),
    ).toEqual([
      [meters[2], 96, 0, 96, null],
      [meters[1], 96, 90, 6, 'provisional'],
    ]);
    const past = await caller.completeness.meterGaps({ day, region: regionA, page: 9 });
    expect(past).toMatchObject({ rows: [], total: 2, meters: 3 });
  });

  it('counts actual readings that arrived by the end of D+1 and D+5 in the meters’ zone', async () => {
    const caller = await operator();
    const result = await caller.completeness.timeliness({ day, region: regionA });
    expect(result).toMatchObject({ expected: 288, actual: 5, actualByD1: 2, actualByD5: 3 });
    expect(result.d1Deadline.toISOString()).toBe('2026-06-11T23:00:00.000Z');
    expect(result.d5Deadline.toISOString()).toBe('2026-06-15T23:00:00.000Z');
    expect(result.source).toBe('readings');
  });

  it('takes the per-meter arrival counts once every meter-day of the region has them', async () => {
    await db.execute(sql`
      update meter_usage_daily set actual_by_d1_intervals = 90, actual_by_d5_intervals = 96 where meter_id = ${meters[0]} and day = ${day}`);
    await db.execute(sql`
      update meter_usage_daily set actual_by_d1_intervals = 2, actual_by_d5_intervals = 3 where meter_id = ${meters[1]} and day = ${day}`);
    await db.execute(sql`
      insert into dimension_usage_daily (day, dimension, key, kwh, expected_intervals, actual_intervals, status)
      values (${day}, 'region', ${regionA}, 19, 288, 186, 'final')`);
    const caller = await operator();
    const result = await caller.completeness.timeliness({ day, region: regionA });
    expect(result).toMatchObject({
      source: 'counts',
      expected: 288,
      actual: 186,
      actualByD1: 92,
      actualByD5: 99,
    });
    expect(result.d1Deadline.toISOString()).toBe('2026-06-11T23:00:00.000Z');
  });
});

describe('rejected readings procedures', () => {
  const topic = `it.${run}.rejects`;
  const meter = `IT-${run}-R`;

  beforeAll(async () => {
    const rows = [
      [0, 'negative_value', '2026-11-20T10:00:00Z'],
      [1, 'negative_value', '2026-11-20T11:00:00Z'],
      [2, 'unknown_meter', '2026-11-20T12:00:00Z'],
    ] as const;
    for (const [offset, rule, receivedAt] of rows) {
      await db.execute(sql`
        insert into rejected_readings (topic, partition, kafka_offset, item_index, meter_id, rule, detail, payload, received_at)
        values (${topic}, 3, ${offset}, 0, ${meter}, ${rule}, ${`detail ${offset}`}, ${`{"offset":${offset}}`}, ${receivedAt})`);
    }
  });

  afterAll(async () => {
    await db.execute(sql`delete from rejected_readings where topic = ${topic}`);
  });

  it('lists a meter’s rejections newest first with their Kafka position', async () => {
    const caller = await operator();
    const result = await caller.rejects.list({ meterId: meter, page: 1, pageSize: 25 });
    expect(result.total).toBe(3);
    expect(result.rows.map((row) => [row.kafkaOffset, row.rule])).toEqual([
      [2, 'unknown_meter'],
      [1, 'negative_value'],
      [0, 'negative_value'],
    ]);
    expect(result.rows[0]).toMatchObject({
      topic,
      partition: 3,
      itemIndex: 0,
      payload: '{"offset":2}',
      detail: 'detail 2',
    });
  });

  it('filters by rule and time received, and pages', async () => {
    const caller = await operator();
    const byRule = await caller.rejects.list({ meterId: meter, rule: 'negative_value' });
    expect(byRule.rows.map((row) => row.kafkaOffset)).toEqual([1, 0]);
    const inTime = await caller.rejects.list({
      meterId: meter,
      from: new Date('2026-11-20T10:30:00Z'),
      to: new Date('2026-11-20T12:00:00Z'),
    });
    expect(inTime.rows.map((row) => row.kafkaOffset)).toEqual([1]);
    const second = await caller.rejects.list({ meterId: meter, page: 2, pageSize: 25 });
    expect(second).toMatchObject({ rows: [], total: 3, page: 2 });
  });

  it('counts per rule under the meter and time filters', async () => {
    const caller = await operator();
    expect(await caller.rejects.byRule({ meterId: meter })).toEqual({
      rules: [
        { rule: 'negative_value', count: 2 },
        { rule: 'unknown_meter', count: 1 },
      ],
    });
  });
});
