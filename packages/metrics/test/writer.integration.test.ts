import { Point } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitPoint,
  consumerLagPoint,
  ingestBatchPoint,
  jobRunPoint,
  validationPoint,
} from '../src/measurements';
import { createInfluxQuery, type InfluxQuery } from '../src/query';
import { createMetricsWriter, type MetricsWriter } from '../src/writer';
import { createTestDatabase, influxUrl, type TestDatabase } from './influx';

let db: TestDatabase;
let influx: InfluxQuery;
const writers: MetricsWriter[] = [];

function writer(options: Partial<Parameters<typeof createMetricsWriter>[0]> = {}): MetricsWriter {
  const created = createMetricsWriter({
    url: influxUrl,
    database: db.name,
    onError: () => undefined,
    ...options,
  });
  writers.push(created);
  return created;
}

beforeAll(async () => {
  db = await createTestDatabase('metrics_writer');
  influx = createInfluxQuery({ url: influxUrl, database: db.name });
});

afterAll(async () => {
  await Promise.all(writers.map((w) => w.close()));
  await db.drop();
});

describe('metrics writer against InfluxDB', () => {
  it('writes a point that reads back with its exact fields and tags', async () => {
    const w = writer({ tags: { host: 'test-host' } });
    const time = new Date('2026-03-01T12:00:00.123Z');
    w.write(
      ingestBatchPoint({
        worker: 'worker-1',
        topic: 'meter.readings',
        records: 500,
        accepted: 470,
        duplicates: 20,
        revised: 4,
        rejected: 6,
        dbMs: 12.75,
        e2eMs: 61_234.5,
        kafkaLagMs: 40.25,
        time,
      }),
    );
    await w.flush();

    const series = await influx.query('SELECT * FROM ingest_batch WHERE worker = $worker', {
      worker: 'worker-1',
    });
    expect(series).toEqual([
      {
        name: 'ingest_batch',
        tags: {},
        rows: [
          {
            time: time.getTime(),
            host: 'test-host',
            worker: 'worker-1',
            topic: 'meter.readings',
            records: 500,
            accepted: 470,
            duplicates: 20,
            revised: 4,
            rejected: 6,
            db_ms: 12.75,
            e2e_ms: 61_234.5,
            kafka_lag_ms: 40.25,
          },
        ],
      },
    ]);
    expect(w.stats()).toEqual({ received: 1, written: 1, dropped: 0, buffered: 0, failedFlushes: 0 });
  });

  it('writes every measurement with integer counts and float durations', async () => {
    const w = writer();
    const time = new Date('2026-03-01T13:00:00Z');
    w.write([
      consumerLagPoint({ group: 'g', topic: 't', partition: 2, offsets: 17, seconds: 3.5, time }),
      jobRunPoint({ job: 'finalize-day', status: 'completed', items: 96, durationMs: 812.5, time }),
      validationPoint({ rule: 'spike', outcome: 'flagged', count: 3, time }),
      commitPoint({ group: 'g', topic: 't', partition: 2, offset: 123_456, time }),
    ]);
    await w.flush();

    const fieldTypes = await influx.query<{ fieldKey: string; fieldType: string }>('SHOW FIELD KEYS');
    const types = Object.fromEntries(
      fieldTypes.flatMap((s) => s.rows.map((r) => [`${s.name}.${r.fieldKey}`, r.fieldType])),
    );
    expect(types).toMatchObject({
      'consumer_lag.offsets': 'integer',
      'consumer_lag.seconds': 'float',
      'job_run.items': 'integer',
      'job_run.duration_ms': 'float',
      'validation.count': 'integer',
      'commit.offset': 'integer',
    });
    const [lag] = await influx.query('SELECT * FROM consumer_lag GROUP BY *');
    expect(lag).toEqual({
      name: 'consumer_lag',
      tags: { group: 'g', partition: '2', topic: 't' },
      rows: [{ time: time.getTime(), offsets: 17, seconds: 3.5 }],
    });
    expect(w.stats().written).toBe(4);
  });

  it('sends large batches (gzip-compressed by the client) and writes every point', async () => {
    const w = writer({ batchSize: 200 });
    const start = Date.parse('2026-03-02T00:00:00Z');
    for (let i = 0; i < 1_000; i++) {
      w.write(
        new Point('bulk')
          .tag('run', 'gzip')
          .intField('i', i)
          .timestamp(start + i),
      );
    }
    await w.flush();

    const [count] = await influx.query<{ time: number; count: number }>('SELECT count(i) FROM bulk');
    expect(count?.rows[0]?.count).toBe(1_000);
    expect(w.stats()).toMatchObject({ received: 1_000, written: 1_000, dropped: 0, buffered: 0 });
  });

  it('counts only the points InfluxDB rejects from a partial write', async () => {
    const w = writer();
    w.write(new Point('typed').floatField('v', 1).timestamp(Date.parse('2026-03-03T00:00:00Z')));
    await w.flush();
    w.write([
      new Point('typed').stringField('v', 'not a float').timestamp(Date.parse('2026-03-03T00:00:01Z')),
      new Point('typed').floatField('v', 2).timestamp(Date.parse('2026-03-03T00:00:02Z')),
    ]);
    await w.flush();

    expect(w.stats()).toEqual({ received: 3, written: 2, dropped: 1, buffered: 0, failedFlushes: 1 });
    const [series] = await influx.query('SELECT v FROM typed');
    expect(series?.rows.map((r) => r.v)).toEqual([1, 2]);
  });

  it('drops a batch for a database that does not exist without retrying, and reports it once', async () => {
    const errors: string[] = [];
    const w = writer({
      database: `${db.name}_missing`,
      batchSize: 10,
      onError: (error) => errors.push(error.message),
    });
    for (let i = 0; i < 35; i++) w.write(new Point('x').intField('i', i));
    await w.flush();

    expect(w.stats()).toEqual({ received: 35, written: 0, dropped: 35, buffered: 0, failedFlushes: 4 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/404.*database not found/);
  });

  it('counts a point without fields as dropped', async () => {
    const w = writer();
    w.write(new Point('empty').tag('a', 'b'));
    expect(w.stats()).toMatchObject({ received: 1, dropped: 1, buffered: 0 });
    await w.close();
  });
});
