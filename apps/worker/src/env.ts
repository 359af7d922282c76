import { hostname } from 'node:os';
import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meterops'),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) =>
      value
        .split(',')
        .map((broker) => broker.trim())
        .filter(Boolean),
    ),
  READINGS_TOPIC: z.string().min(1).default('meter.readings'),
  DLQ_TOPIC: z.string().min(1).default('meter.readings.dlq'),
  CONSUMER_GROUP: z.string().min(1).default('meterops-ingest'),
  INFLUX_URL: z.url().default('http://127.0.0.1:8086'),
  INFLUX_DB: z.string().min(1).default('meterops'),
  INFLUX_TOKEN: z.string().optional(),
  WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /** Partitions one worker process works on at once; each holds one Postgres connection while it writes. */
  INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  LAG_REPORT_INTERVAL_MS: z.coerce.number().int().min(500).default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Run the batch jobs (pg-boss) in this process besides ingest. */
  JOBS_ENABLED: z.stringbool().default(true),
  /** Batch jobs this process runs at once. */
  JOBS_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(1),
  /** When the nightly run finalizes due days and processes the reprocess queue (cron, UTC). */
  JOBS_NIGHTLY_CRON: z.string().min(1).default('30 2 * * *'),
  /** How often late data queued for reprocessing is folded into the final numbers (cron, UTC). */
  JOBS_REPROCESS_CRON: z.string().min(1).default('*/10 * * * *'),
  /** When expired sessions and old sign-in attempts are deleted (cron, UTC). */
  JOBS_HOUSEKEEPING_CRON: z.string().min(1).default('17 * * * *'),
  /** Hours after a local day ends before the nightly run finalizes it (late profiles arrive the next morning). */
  JOBS_FINALIZE_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 14)
    .default(24),
});

export type WorkerEnv = z.infer<typeof schema>;

/** The worker's settings; the only place the worker reads the environment. */
export const env: WorkerEnv = schema.parse(process.env);
