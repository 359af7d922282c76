/**
 * The one place the web app reads `process.env`. Defaults are those of docs/architecture.md
 * ("Configuration"); an empty variable counts as unset.
 *
 * Every value has a default, so `next build` succeeds without any service or variable configured.
 */
import { kafkaSecurityEnv } from '@meterops/domain/transport';
import { archiveEnvShape } from '@meterops/archive/config';
import { z } from 'zod';

const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port');

const schema = z.object({
  NODE_ENV: z.preprocess(unsetIfEmpty, z.enum(['development', 'production', 'test']).default('development')),
  DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/meterops'),
  ),
  /**
   * What the web app connects as; in production the meterops_web role (migration 0008), which reads and
   * writes rows but cannot change the schema or the revision history. Default: DATABASE_URL.
   */
  WEB_DATABASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  KAFKA_BROKERS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default('127.0.0.1:9092')
      .transform((list) =>
        list
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .pipe(z.array(hostPort).min(1)),
  ),
  /** Where re-driven rejects are published: the topic the worker consumes. */
  READINGS_TOPIC: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name')
      .default('meter.readings'),
  ),
  INFLUX_URL: z.preprocess(
    unsetIfEmpty,
    z
      .url({ protocol: /^https?$/ })
      .default('http://127.0.0.1:8086')
      // A trailing slash would turn `${url}/ping` into `//ping`.
      .transform((url) => url.replace(/\/+$/, '')),
  ),
  INFLUX_DB: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('meterops'),
  ),
  INFLUX_TOKEN: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** Longest a query of the web app may run before Postgres cancels it. */
  DB_STATEMENT_TIMEOUT_MS: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(1_000).default(30_000)),
  /** InfluxDB 1.x user (HTTP basic auth), an alternative to INFLUX_TOKEN. */
  INFLUX_USERNAME: z.preprocess(unsetIfEmpty, z.string().optional()),
  INFLUX_PASSWORD: z.preprocess(unsetIfEmpty, z.string().optional()),
  /**
   * `Secure` and the `__Host-` prefix on the session cookie, and HSTS. On unless NODE_ENV is `development`
   * (`next start` runs as production): a deployment must not depend on remembering to turn it on. Local
   * runs over plain http (the demo, the e2e suite) set it to false explicitly.
   */
  SESSION_COOKIE_SECURE: z.preprocess(unsetIfEmpty, z.stringbool().optional()),
  /** Port of the web app's server (server.ts). */
  WEB_PORT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(1).max(65_535).default(3000)),
  /**
   * Reverse proxies in front of the web app that append the client address to X-Forwarded-For. With 0 the
   * header is ignored (a client can write anything into it) and the socket address is used; with N the
   * N-th address from the right is the client's.
   */
  TRUSTED_PROXIES: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(10).default(0)),
  /**
   * Fewest other homes a comparison with similar homes may be drawn from; below it the portal says there
   * are not enough, because the quartiles of a handful of homes give away a neighbour's usage.
   */
  PEER_MIN_COUNT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(5).max(1_000).default(10)),
  /** Allow http:// webhook URLs (development and tests only; docs/webhooks.md). */
  WEBHOOKS_ALLOW_HTTP: z.preprocess(unsetIfEmpty, z.stringbool().default(false)),
  /** Allow webhook URLs on loopback and private networks (development and tests only). */
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: z.preprocess(unsetIfEmpty, z.stringbool().default(false)),
  /** Where archived months of raw readings are read from (see @meterops/archive). */
  ...archiveEnvShape,
});

const withDefaults = schema
  .transform(({ SESSION_COOKIE_SECURE, ...settings }) => ({
    ...settings,
    WEB_DATABASE_URL: settings.WEB_DATABASE_URL ?? settings.DATABASE_URL,
    SESSION_COOKIE_SECURE: SESSION_COOKIE_SECURE ?? settings.NODE_ENV !== 'development',
  }))
  .and(kafkaSecurityEnv);

export type WebEnv = z.infer<typeof withDefaults>;

/** Validates an environment; exported for the tests of its defaults. */
export function parseWebEnv(source: Record<string, string | undefined>): WebEnv {
  const parsed = withDefaults.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment for the web app:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export const env = parseWebEnv(process.env);
