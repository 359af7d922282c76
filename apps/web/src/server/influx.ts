import 'server-only';
import { createInfluxQuery } from '@meterops/metrics/query';
import { env } from '../env';

/** InfluxQL reads of the tracking metrics; one HTTP request per query, so nothing to keep open. */
export const influx = createInfluxQuery({
  url: env.INFLUX_URL,
  database: env.INFLUX_DB,
  token: env.INFLUX_TOKEN,
  username: env.INFLUX_USERNAME,
  password: env.INFLUX_PASSWORD,
  // A dashboard request should fail visibly rather than hang the page's refresh.
  timeoutMs: 5_000,
});
