/** The one place the end-to-end suite reads `process.env`. */

export type DemoRole = 'operator' | 'agent' | 'admin' | 'customer';

const DEMO_PASSWORD = 'meterops-demo';

function read(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export const baseURL = read('E2E_BASE_URL') ?? 'http://127.0.0.1:3000';

/**
 * Demo accounts created by the seed. `E2E_<ROLE>_EMAIL` / `E2E_<ROLE>_PASSWORD` point the suite at other
 * accounts, e.g. on a shared environment.
 */
export function credentialsFor(role: DemoRole): { email: string; password: string } {
  const prefix = `E2E_${role.toUpperCase()}`;
  return {
    email: read(`${prefix}_EMAIL`) ?? `${role}@meterops.test`,
    password: read(`${prefix}_PASSWORD`) ?? DEMO_PASSWORD,
  };
}

export const isCI = read('CI') !== undefined;

/** The database and InfluxDB the app under test reads: specs compare the pages with them. */
export const databaseUrl = read('DATABASE_URL') ?? 'postgres://postgres@127.0.0.1:5432/meterops';
export const influxUrl = (read('INFLUX_URL') ?? 'http://127.0.0.1:8086').replace(/\/+$/, '');
export const influxDatabase = read('INFLUX_DB') ?? 'meterops';
export const influxToken = read('INFLUX_TOKEN');

/** The simulator's manifest of the scenario the test orchestrator ingested (`npm test`), if any. */
export const manifestPath = read('E2E_MANIFEST');
