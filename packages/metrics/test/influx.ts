import { randomBytes } from 'node:crypto';
import { createInfluxQuery } from '../src/query';

/** The InfluxDB the integration tests share; the stack script provides it. */
export const influxUrl = process.env.INFLUX_URL ?? 'http://127.0.0.1:8086';

export interface TestDatabase {
  name: string;
  drop(): Promise<void>;
}

/** A fresh database, so that test files never see each other's points. */
export async function createTestDatabase(prefix: string, url = influxUrl): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const influx = createInfluxQuery({ url, database: name });
  await influx.query(`CREATE DATABASE "${name}"`);
  return { name, drop: async () => void (await influx.query(`DROP DATABASE "${name}"`)) };
}
