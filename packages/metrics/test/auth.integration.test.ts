/**
 * InfluxDB credentials (INFLUX_USERNAME / INFLUX_PASSWORD): against an influxd of the test's own with
 * authentication on, the writer and the query client get in with the right user and are refused
 * without it or with a wrong password.
 */
import { Point } from '@influxdata/influxdb-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInfluxQuery, InfluxQueryError } from '../src/query';
import { createMetricsWriter } from '../src/writer';
import { ownInfluxd, type OwnInfluxd } from './influxd';

const database = 'metrics_auth';
const username = 'meterops_metrics';
const password = 'a metrics password';
let influxd: OwnInfluxd;

beforeAll(async () => {
  influxd = await ownInfluxd({ authEnabled: true });
  await influxd.start();
  // With auth on and no user yet, InfluxDB 1.x accepts exactly one statement: creating the first admin.
  const bootstrap = await fetch(`${influxd.url}/query`, {
    method: 'POST',
    body: new URLSearchParams({
      q: `CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`,
    }),
  });
  expect(bootstrap.ok).toBe(true);
  await createInfluxQuery({ url: influxd.url, database, username, password }).query(
    `CREATE DATABASE "${database}"`,
  );
});

afterAll(async () => {
  await influxd?.dispose();
});

describe('InfluxDB with authentication', () => {
  it('answers queries with the right user and refuses none or a wrong password', async () => {
    const right = createInfluxQuery({ url: influxd.url, database, username, password });
    await expect(right.query('SHOW MEASUREMENTS')).resolves.toEqual([]);

    const anonymous = createInfluxQuery({ url: influxd.url, database });
    await expect(anonymous.query('SHOW MEASUREMENTS')).rejects.toMatchObject({ status: 401 });
    const wrong = createInfluxQuery({ url: influxd.url, database, username, password: 'not it' });
    const refused = await wrong.query('SHOW MEASUREMENTS').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InfluxQueryError);
    expect(refused).toMatchObject({ status: 401 });
  });

  it('writes points with the right user, and counts them failed without one', async () => {
    const point = () => new Point('auth_probe').intField('n', 1).timestamp(new Date());
    const failures: Error[] = [];
    const anonymous = createMetricsWriter({
      url: influxd.url,
      database,
      maxRetries: 0,
      onError: (error) => failures.push(error),
      errorIntervalMs: 0,
    });
    anonymous.write(point());
    await anonymous.close();
    expect(anonymous.stats().written).toBe(0);
    expect(failures.length).toBeGreaterThan(0);

    const writer = createMetricsWriter({ url: influxd.url, database, username, password, onError: () => {} });
    writer.write(point());
    await writer.close();
    expect(writer.stats().written).toBe(1);
    const query = createInfluxQuery({ url: influxd.url, database, username, password });
    const [series] = await query.query<{ time: number; n: number }>('SELECT n FROM auth_probe');
    expect(series?.rows).toHaveLength(1);
  });
});
