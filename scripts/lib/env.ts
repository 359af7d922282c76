/**
 * The one place the repository scripts (`stack`, `demo`, `test`) read `process.env`.
 *
 * Defaults are the ones documented in docs/architecture.md ("Configuration"); change them there and here
 * together. An empty variable counts as unset, because CI systems and `.env` files often export `FOO=`
 * for "not configured".
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafkaSecurityEnv } from '@meterops/domain/transport';
import { z } from 'zod';

/** Repository root: this file lives in `<root>/scripts/lib/`. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ENV_DEFAULTS = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/meterops',
  KAFKA_BROKERS: '127.0.0.1:9092',
  READINGS_TOPIC: 'meter.readings',
  DLQ_TOPIC: 'meter.readings.dlq',
  VALIDATED_TOPIC: 'meter.readings.validated',
  CONSUMER_GROUP: 'meterops-ingest',
  INFLUX_URL: 'http://127.0.0.1:8086',
  INFLUX_DB: 'meterops',
  METEROPS_STATE_DIR: '.stack',
  WEB_PORT: 3000,
} as const;

/** `''` → `undefined`, so that `.default()` applies to variables that are exported but empty. */
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port');

/** Kafka and InfluxDB object names: no whitespace, and InfluxQL identifiers are double-quoted by us. */
const objectName = z.string().regex(/^[A-Za-z0-9._-]+$/, 'expected letters, digits, ".", "_" or "-"');

const schema = z.object({
  DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z.url({ protocol: /^postgres(ql)?$/ }).default(ENV_DEFAULTS.DATABASE_URL),
  ),
  /** The roles the demo runs web and worker as (migration 0008); default: DATABASE_URL's, as those roles. */
  WEB_DATABASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  WORKER_DATABASE_URL: z.preprocess(unsetIfEmpty, z.url({ protocol: /^postgres(ql)?$/ }).optional()),
  KAFKA_BROKERS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(ENV_DEFAULTS.KAFKA_BROKERS)
      .transform((list) =>
        list
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .pipe(z.array(hostPort).min(1)),
  ),
  /**
   * `scram`: the broker the stack starts also listens on 127.0.0.1:9094 with SASL_PLAINTEXT, accepting
   * SCRAM-SHA-512 for KAFKA_SCRAM_USERNAME / KAFKA_SCRAM_PASSWORD. The PLAINTEXT listener on 9092 stays.
   */
  KAFKA_SASL: z.preprocess(unsetIfEmpty, z.enum(['none', 'scram']).default('none')),
  KAFKA_SCRAM_USERNAME: z.preprocess(unsetIfEmpty, z.string().default('meterops')),
  KAFKA_SCRAM_PASSWORD: z.preprocess(unsetIfEmpty, z.string().optional()),
  READINGS_TOPIC: z.preprocess(unsetIfEmpty, objectName.default(ENV_DEFAULTS.READINGS_TOPIC)),
  DLQ_TOPIC: z.preprocess(unsetIfEmpty, objectName.default(ENV_DEFAULTS.DLQ_TOPIC)),
  /** Accepted readings for downstream consumers; set to an empty string to publish none. */
  VALIDATED_TOPIC: z.union([z.literal(''), objectName]).default(ENV_DEFAULTS.VALIDATED_TOPIC),
  CONSUMER_GROUP: z.preprocess(unsetIfEmpty, objectName.default(ENV_DEFAULTS.CONSUMER_GROUP)),
  INFLUX_URL: z.preprocess(
    unsetIfEmpty,
    z
      .url({ protocol: /^https?$/ })
      .default(ENV_DEFAULTS.INFLUX_URL)
      // A trailing slash would turn `${url}/ping` into `//ping`.
      .transform((url) => url.replace(/\/+$/, '')),
  ),
  INFLUX_DB: z.preprocess(unsetIfEmpty, objectName.default(ENV_DEFAULTS.INFLUX_DB)),
  INFLUX_TOKEN: z.preprocess(unsetIfEmpty, z.string().optional()),
  // Relative paths are taken from the repository root, not the caller's cwd, so that `npm run stack`,
  // `npm run demo` and an in-process caller started from a workspace folder all agree on one folder.
  METEROPS_STATE_DIR: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(ENV_DEFAULTS.METEROPS_STATE_DIR)
      .transform((dir) => path.resolve(REPO_ROOT, dir)),
  ),
  WEB_PORT: z.preprocess(
    unsetIfEmpty,
    z.coerce.number().int().min(1).max(65535).default(ENV_DEFAULTS.WEB_PORT),
  ),
});

const withKafkaSecurity = schema
  .superRefine((settings, ctx) => {
    if (settings.KAFKA_SASL === 'scram' && settings.KAFKA_SCRAM_PASSWORD === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SCRAM_PASSWORD'],
        message: 'required when KAFKA_SASL=scram',
      });
    }
  })
  .and(kafkaSecurityEnv);

export type ScriptEnv = z.infer<typeof withKafkaSecurity>;

/** Thrown with every invalid variable listed, so a misconfiguration is fixed in one round. */
class EnvError extends Error {
  override name = 'EnvError';
}

export function loadEnv(source: NodeJS.ProcessEnv = process.env): ScriptEnv {
  const parsed = withKafkaSecurity.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new EnvError(`invalid environment:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
