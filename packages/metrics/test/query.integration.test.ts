import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxQuery, InfluxQueryError, type InfluxQuery } from '../src/query';
import { createTestDatabase, influxUrl, type TestDatabase } from './influx';
import { hungServer, type HungServer } from './hung-server';
import { freePort } from './influxd';

let db: TestDatabase;
let influx: InfluxQuery;
let hung: HungServer;
const t0 = Date.parse('2026-05-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase('metrics_query');
  influx = createInfluxQuery({ url: influxUrl, database: db.name });
  hung = await hungServer();
  const lines = [
    `consumer_lag,group=g,partition=0,topic=t offsets=5i,seconds=0.5 ${t0}`,
    `consumer_lag,group=g,partition=1,topic=t offsets=7i,seconds=1.5 ${t0}`,
    `consumer_lag,group=g,partition=0,topic=t offsets=9i,seconds=2.5 ${t0 + 60_000}`,
    `validation,outcome=rejected,rule=it's\\ "quoted" count=2i ${t0}`,
  ];
  const response = await fetch(`${influxUrl}/write?db=${db.name}&precision=ms`, {
    method: 'POST',
    body: lines.join('\n'),
  });
  expect(response.status).toBe(204);
});

afterAll(async () => {
  await hung.close();
  await db.drop();
});

describe('InfluxQL queries', () => {
  it('returns one series per GROUP BY tag set, with time in epoch milliseconds', async () => {
    const series = await influx.query<{ time: number; offsets: number; seconds: number }>(
      'SELECT offsets, seconds FROM consumer_lag GROUP BY partition',
    );
    expect(series).toEqual([
      {
        name: 'consumer_lag',
        tags: { partition: '0' },
        rows: [
          { time: t0, offsets: 5, seconds: 0.5 },
          { time: t0 + 60_000, offsets: 9, seconds: 2.5 },
        ],
      },
      { name: 'consumer_lag', tags: { partition: '1' }, rows: [{ time: t0, offsets: 7, seconds: 1.5 }] },
    ]);
  });

  it('binds a string parameter as a literal, whatever it contains', async () => {
    const rule = `it's "quoted"`;
    const [series] = await influx.query('SELECT count FROM validation WHERE rule = $rule', { rule });
    expect(series?.rows).toEqual([{ time: t0, count: 2 }]);

    const injected = await influx.query('SELECT count FROM validation WHERE rule = $rule', {
      rule: `x' OR rule =~ /.*/ --`,
    });
    expect(injected).toEqual([]);
  });

  it('binds dates for time ranges, numbers, and durations for GROUP BY time()', async () => {
    const [series] = await influx.query<{ time: number; max: number | null }>(
      'SELECT max(offsets) FROM consumer_lag WHERE time >= $from AND time < $to AND offsets > $min GROUP BY time($bucket) fill(null)',
      { from: new Date(t0), to: new Date(t0 + 120_000), min: 5, bucket: { duration: '1m' } },
    );
    expect(series?.rows).toEqual([
      { time: t0, max: 7 },
      { time: t0 + 60_000, max: 9 },
    ]);
  });

  it('runs statements that change data and answers them with no series', async () => {
    const name = `${db.name}_extra`;
    expect(await influx.query(`CREATE DATABASE "${name}"`)).toEqual([]);
    const [databases] = await influx.query<{ name: string }>('SHOW DATABASES');
    expect(databases?.rows).toContainEqual({ name });
    await influx.query(`DROP DATABASE "${name}"`);
  });

  it('reports the HTTP status and InfluxDB’s text for a query it cannot parse', async () => {
    const error = await influx.query('SELECT offsets FROM consumer_lag WHER x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InfluxQueryError);
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toMatch(/HTTP 400: error parsing query: found WHER/);
  });

  it('reports a missing parameter', async () => {
    await expect(influx.query('SELECT * FROM consumer_lag WHERE topic = $topic')).rejects.toThrow(
      /HTTP 400: .*missing parameter: topic/,
    );
  });

  it('reports an error InfluxDB gives for a statement', async () => {
    const other = createInfluxQuery({ url: influxUrl, database: `${db.name}_missing` });
    await expect(other.query('SELECT * FROM consumer_lag')).rejects.toThrow(
      `InfluxDB query failed in statement 0: database not found: ${db.name}_missing`,
    );
  });

  it('reports an InfluxDB that cannot be reached', async () => {
    const down = createInfluxQuery({ url: `http://127.0.0.1:${await freePort()}`, database: 'x' });
    await expect(down.query('SHOW DATABASES')).rejects.toThrow(/InfluxDB unreachable at .*: ECONNREFUSED/);
  });

  it('gives up on a hung InfluxDB after its timeout', async () => {
    const slow = createInfluxQuery({ url: hung.url, database: 'x', timeoutMs: 200 });
    const started = Date.now();
    await expect(slow.query('SHOW DATABASES')).rejects.toThrow('InfluxDB query timed out after 200 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('pings: true when InfluxDB answers, false when it is down or hangs', async () => {
    expect(await influx.ping()).toBe(true);
    const down = createInfluxQuery({ url: `http://127.0.0.1:${await freePort()}`, database: 'x' });
    expect(await down.ping()).toBe(false);
    const slow = createInfluxQuery({ url: hung.url, database: 'x', timeoutMs: 200 });
    expect(await slow.ping()).toBe(false);
  });
});
