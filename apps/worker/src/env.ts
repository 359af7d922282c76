import { hostname } from 'node:os';
import { kafkaSecurityEnv } from '@meterops/domain/transport';
import { archiveEnvShape } from '@meterops/archive/config';
import { defaultMetricsRetention } from '@meterops/metrics/retention';
import { z } from 'zod';

const schema = z.object({
  /** The owner's (or a superuser's) URL: migrations, seeding and tests. */
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meterops'),
  /**
   * What the worker connects as; in production the meterops_worker role (migration 0008), which may
   * ingest and run jobs but not change the schema or the revision history. Default: DATABASE_URL.
   */
  WORKER_DATABASE_URL: z.preprocess((value) => (value === '' ? undefined : value), z.url().optional()),
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
  /** Accepted readings (and new versions) are published here after they are stored; empty: not published. */
  VALIDATED_TOPIC: z.string().default('meter.readings.validated'),
  CONSUMER_GROUP: z.string().min(1).default('meterops-ingest'),
  INFLUX_URL: z.url().default('http://127.0.0.1:8086'),
  INFLUX_DB: z.string().min(1).default('meterops'),
  INFLUX_TOKEN: z.string().optional(),
  /** InfluxDB 1.x user (HTTP basic auth), an alternative to INFLUX_TOKEN. */
  INFLUX_USERNAME: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
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
  /** When due settlement runs (the admin's timetable, docs/settlement.md) are carried out (cron, UTC). */
  JOBS_SETTLEMENT_CRON: z.string().min(1).default('40 * * * *'),
  /** Hours after a local day ends before the nightly run finalizes it (late profiles arrive the next morning). */
  JOBS_FINALIZE_GRACE_HOURS: z.coerce
    .number()
    .min(0)
    .max(24 * 14)
    .default(24),
  /** Port of /healthz and /readyz for a supervisor; 0 picks a free one (logged), -1 serves none. */
  WORKER_HEALTH_PORT: z.coerce.number().int().min(-1).max(65_535).default(9_400),
  /** Address the health endpoints listen on. */
  WORKER_HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  /** After SIGTERM, how long the batch in flight may take before the process exits anyway (non-zero). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** Longest a single SQL statement may run (ingest batches take well under a second; batch chunks longer). */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** A consumer that has not fetched from Kafka for this long while nothing pauses it is restarted. */
  INGEST_WATCHDOG_MS: z.coerce.number().int().min(5_000).default(120_000),
  /** Send outbound webhook deliveries from this process (any number of processes may). */
  WEBHOOKS_ENABLED: z.stringbool().default(true),
  /** Longest one webhook request may take, connection to end of response. */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(10_000),
  /** Webhook deliveries in flight at once in this process (each to a different endpoint). */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How often the dispatcher looks for retries that fell due (it also wakes on every publish). */
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Allow http:// webhook URLs (development and tests only). */
  WEBHOOKS_ALLOW_HTTP: z.stringbool().default(false),
  /** Allow webhook URLs on loopback and private networks (development and tests only). */
  WEBHOOKS_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),
  ...archiveEnvShape,
  /**
   * Months of raw readings kept in Postgres, the current one included; older months go to the Parquet
   * archive (job `archive`). 25 keeps the current month and the two years before it.
   */
  ARCHIVE_RETENTION_MONTHS: z.coerce.number().int().min(1).max(1200).default(25),
  /** Years the archive keeps a month of raw readings before deleting its files (aggregates stay). */
  ARCHIVE_RETENTION_YEARS: z.coerce.number().int().min(1).max(100).default(7),
  /** When the archive job runs (cron, UTC); it does nothing when no month is due. */
  ARCHIVE_CRON: z.string().min(1).default('0 4 * * *'),
  /** Days a resolved rejected reading is kept; open ones are kept until someone resolves them. */
  REJECTED_RETENTION_DAYS: z.coerce.number().int().min(1).default(180),
  /** Days the log lines of a finished job run are kept (the run and its result stay). */
  JOB_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  /** When the retention job runs (cron, UTC). */
  RETENTION_CRON: z.string().min(1).default('15 4 * * *'),
  /** When the forecast job runs (cron, UTC): after the nightly finalize, so it reads the final days. */
  FORECAST_CRON: z.string().min(1).default('45 4 * * *'),
  /** Days InfluxDB keeps raw tracking points (the pipeline page's longest range is 90 days). */
  INFLUX_RAW_RETENTION_DAYS: z.coerce.number().int().min(91).default(defaultMetricsRetention.rawDays),
  /** Days InfluxDB keeps the hourly downsampled series (policy long_term). */
  INFLUX_LONG_TERM_RETENTION_DAYS: z.coerce
    .number()
    .int()
    .min(1)
    .default(defaultMetricsRetention.longTermDays),
  /** Evaluate the alert rules and send alert e-mail from this process (any number of workers may). */
  ALERTS_ENABLED: z.stringbool().default(true),
  /** How often the alert rules are evaluated. */
  ALERTS_EVALUATE_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
  /** How often the alert e-mail outbox is looked at. */
  ALERTS_EMAIL_INTERVAL_MS: z.coerce.number().int().min(500).default(5_000),
  /** The portal's address as people reach it; alert e-mail links back to it. */
  PUBLIC_BASE_URL: z.url().default('http://localhost:3000'),
  /** SMTP server for alert e-mail; unset: e-mail notifications wait in the outbox (logged). */
  SMTP_HOST: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  SMTP_PORT: z.coerce.number().int().min(1).max(65_535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  SMTP_SECURE: z.stringbool().default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_FROM: z.string().min(3).default('MeterOps alerts <alerts@meterops.invalid>'),
  /** retention.ms of the readings topic: replay window after a consumer outage (default 7 days). */
  KAFKA_READINGS_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .default(7 * 24),
  /** retention.ms of the dead-letter topic (rejects are in Postgres too; default 30 days). */
  KAFKA_DLQ_RETENTION_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30 * 24),
});

const withDefaults = schema
  .transform((settings) => ({
    ...settings,
    WORKER_DATABASE_URL: settings.WORKER_DATABASE_URL ?? settings.DATABASE_URL,
  }))
  .and(kafkaSecurityEnv);

export type WorkerEnv = z.infer<typeof withDefaults>;

/** The worker's settings; the only place the worker reads the environment. */
export const env: WorkerEnv = withDefaults.parse(process.env);
