/**
 * Reachability of the services the platform runs on, for the status page. Each check has its own deadline
 * and never throws: a service that is down is a result, not an error. One round of checks serves every
 * caller for a few seconds, and Kafka is asked through one long-lived admin connection, so however many
 * visitors (or scripts) call the public status endpoint, the services see at most one probe per interval.
 */
import { kafkaClientSecurity } from '@meterops/domain/transport';
import { influxAuthorization } from '@meterops/metrics/auth';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { Db } from '@meterops/db/client';
import { pingDatabase } from '@meterops/db/queries/status';
import { env } from '../env';

type ComponentName = 'Kafka' | 'Postgres' | 'InfluxDB';

interface ComponentHealth {
  name: ComponentName;
  /** Where the web app looks for it: host:port (and database), never credentials. */
  address: string;
  up: boolean;
  latencyMs: number;
  /** Version or broker count when up; the reason when down. */
  detail: string;
}

/** Longest a single check may take; the status call as a whole answers within it. */
const CHECK_DEADLINE_MS = 3_000;

class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function codeOf(error: unknown): string | null {
  const code: unknown = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}

/** The message, plus the system error code when only the cause has it (fetch's "fetch failed"). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message || error.name;
  const code = codeOf(error) ?? codeOf(error.cause);
  return code !== null && !message.includes(code) ? `${message} (${code})` : message;
}

async function measure(
  name: ComponentName,
  address: string,
  probe: () => Promise<string>,
): Promise<ComponentHealth> {
  const started = performance.now();
  try {
    const detail = await withDeadline(probe(), CHECK_DEADLINE_MS);
    return { name, address, up: true, latencyMs: Math.round(performance.now() - started), detail };
  } catch (error) {
    return {
      name,
      address,
      up: false,
      latencyMs: Math.round(performance.now() - started),
      detail: describeFailure(error),
    };
  }
}

let kafka: Kafka | null = null;
let kafkaAdmin: Promise<Admin> | null = null;

/** The shared admin connection, opened on first use and again after a failure. */
function sharedKafkaAdmin(): Promise<Admin> {
  kafka ??= new Kafka({
    clientId: 'meterops-web-status',
    brokers: env.KAFKA_BROKERS,
    ...kafkaClientSecurity(env),
    connectionTimeout: 1_500,
    requestTimeout: 2_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const client = kafka;
  kafkaAdmin ??= (async () => {
    const admin = client.admin();
    await admin.connect();
    return admin;
  })();
  return kafkaAdmin;
}

/** Drops a connection that failed, so the next round opens a fresh one. */
function dropKafkaAdmin(failed: Promise<Admin>): void {
  if (kafkaAdmin !== failed) return;
  kafkaAdmin = null;
  void failed.then((admin) => admin.disconnect()).catch(() => undefined);
}

async function probeKafka(): Promise<string> {
  const connection = sharedKafkaAdmin();
  try {
    const cluster = await (await connection).describeCluster();
    const brokers = cluster.brokers.length;
    return `${brokers} broker${brokers === 1 ? '' : 's'}, controller ${cluster.controller ?? 'unknown'}`;
  } catch (error) {
    dropKafkaAdmin(connection);
    throw error;
  }
}

async function probePostgres(db: Db): Promise<string> {
  const { serverVersion } = await pingDatabase(db);
  return `PostgreSQL ${serverVersion}`;
}

const influxAuthorizationHeader = influxAuthorization({
  token: env.INFLUX_TOKEN,
  username: env.INFLUX_USERNAME,
  password: env.INFLUX_PASSWORD,
});
const influxHeaders: Record<string, string> =
  influxAuthorizationHeader === undefined ? {} : { authorization: influxAuthorizationHeader };

async function probeInflux(): Promise<string> {
  const response = await fetch(`${env.INFLUX_URL}/ping`, {
    headers: influxHeaders,
    signal: AbortSignal.timeout(2_000),
    cache: 'no-store',
  });
  // InfluxDB 1.x, 2.x and 3.x all answer /ping with 204 No Content.
  if (response.status !== 204) throw new Error(`/ping answered HTTP ${response.status}`);
  const version = response.headers.get('x-influxdb-version');
  return version ? `InfluxDB ${version}` : 'InfluxDB';
}

function postgresAddress(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

export interface HealthReport {
  checkedAt: Date;
  components: ComponentHealth[];
}

/** How long one round of checks answers every caller. */
export const HEALTH_MAX_AGE_MS = 5_000;

let latest: HealthReport | null = null;
let inFlight: Promise<HealthReport> | null = null;

/**
 * All three checks in parallel, at most once per `maxAgeMs`: callers inside that time get the last round,
 * and concurrent callers share the round in progress.
 */
export function checkHealth(db: Db, options: { maxAgeMs?: number } = {}): Promise<HealthReport> {
  const maxAgeMs = options.maxAgeMs ?? HEALTH_MAX_AGE_MS;
  if (latest !== null && Date.now() - latest.checkedAt.getTime() < maxAgeMs) return Promise.resolve(latest);
  inFlight ??= Promise.all([
    measure('Kafka', env.KAFKA_BROKERS.join(','), probeKafka),
    measure('Postgres', postgresAddress(env.WEB_DATABASE_URL), () => probePostgres(db)),
    measure('InfluxDB', new URL(env.INFLUX_URL).host, probeInflux),
  ])
    .then((components) => {
      latest = { checkedAt: new Date(), components };
      return latest;
    })
    .finally(() => {
      inFlight = null;
    });
  return inFlight;
}
