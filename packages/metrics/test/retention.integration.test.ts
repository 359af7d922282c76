import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEASUREMENT } from '../src/measurements';
import { createInfluxQuery } from '../src/query';
import { downsampleSelects, ensureMetricsRetention, hourly, LONG_TERM_POLICY } from '../src/retention';
import { createTestDatabase, influxUrl, type TestDatabase } from './influx';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase('metrics_retention');
});

afterAll(async () => {
  await database?.drop();
});

describe('metrics retention', () => {
  it('sets the raw and long-term policies and the continuous queries once', async () => {
    const influx = createInfluxQuery({ url: influxUrl, database: database.name });
    const first = await ensureMetricsRetention(influx, database.name, { rawDays: 100, longTermDays: 1825 });
    expect(first.changed).toEqual([
      'autogen 100d',
      'long_term 1825d',
      'cq_ingest_batch_1h',
      'cq_consumer_lag_1h',
      'cq_validation_1h',
      'cq_job_run_1h',
    ]);
    const [policies] = await influx.query<{ name: string; duration: string; default: boolean }>(
      `SHOW RETENTION POLICIES ON "${database.name}"`,
    );
    expect(
      policies?.rows.map(({ name, duration, default: isDefault }) => ({ name, duration, isDefault })),
    ).toEqual([
      { name: 'autogen', duration: '2400h0m0s', isDefault: true },
      { name: LONG_TERM_POLICY, duration: '43800h0m0s', isDefault: false },
    ]);
    expect(
      (await ensureMetricsRetention(influx, database.name, { rawDays: 100, longTermDays: 1825 })).changed,
    ).toEqual([]);
    expect(
      (await ensureMetricsRetention(influx, database.name, { rawDays: 120, longTermDays: 1825 })).changed,
    ).toEqual(['autogen 120d']);
  });

  it('downsamples ingest batches into hourly sums that equal the raw ones', async () => {
    const influx = createInfluxQuery({ url: influxUrl, database: database.name });
    await ensureMetricsRetention(influx, database.name, { rawDays: 100, longTermDays: 1825 });
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `${MEASUREMENT.ingestBatch},worker=w${i % 2},topic=t records=${i + 1}i,accepted=${i}i,duplicates=1i,revised=0i,rejected=1i,db_ms=${10 + i},e2e_ms=${100 + i} ${(hourStart + i * 60_000) * 1_000_000}`,
    );
    const response = await fetch(`${influxUrl}/write?db=${database.name}`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    expect(response.status).toBe(204);
    // What the continuous query runs each hour, here over the test's hour.
    const select = (downsampleSelects(database.name)[MEASUREMENT.ingestBatch] ?? '').replace(
      'GROUP BY',
      `WHERE time >= ${hourStart * 1_000_000} AND time < ${(hourStart + 3_600_000) * 1_000_000} GROUP BY`,
    );
    await influx.query(select);
    const [downsampled] = await influx.query<{ records: number; batches: number }>(
      `SELECT sum("records") AS "records", sum("batches") AS "batches" FROM "${LONG_TERM_POLICY}"."${hourly(MEASUREMENT.ingestBatch)}"`,
    );
    expect(downsampled?.rows[0]).toMatchObject({ records: (30 * 31) / 2, batches: 30 });
  });
});
