import { kafkaClientSecurity } from '@meterops/domain/transport';
import { createDb } from '@meterops/db/client';
import { createInfluxQuery } from '@meterops/metrics/query';
import { ensureMetricsRetention } from '@meterops/metrics/retention';
import { createMetricsWriter } from '@meterops/metrics/writer';
import { createTransport } from 'nodemailer';
import { pino } from 'pino';
import { AlertService } from './alerting/service';
import { env } from './env';
import { serveHealth, type HealthServer } from './health-server';
import { IngestService } from './ingest/service';
import { JobRunner } from './jobs/runner';
import { createKafka, createLagProbe } from './kafka';
import { lifecycleSettings } from './lifecycle';
import { WebhookDispatcher } from './webhooks/dispatcher';

const log = pino({ level: env.LOG_LEVEL, base: { worker: env.WORKER_ID } });
const { db, sql, close } = createDb({
  url: env.WORKER_DATABASE_URL,
  max:
    env.INGEST_CONCURRENCY +
    2 +
    (env.JOBS_ENABLED ? env.JOBS_CONCURRENCY * 2 + 1 : 0) +
    (env.WEBHOOKS_ENABLED ? 2 : 0),
  applicationName: `meterops-worker`,
  statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
});
const metrics = createMetricsWriter({
  url: env.INFLUX_URL,
  database: env.INFLUX_DB,
  token: env.INFLUX_TOKEN,
  username: env.INFLUX_USERNAME,
  password: env.INFLUX_PASSWORD,
  tags: { worker: env.WORKER_ID },
  onError: (error, stats) =>
    log.warn({ err: error.message, dropped: stats.dropped }, 'metrics write failed; ingest goes on'),
});
const influx = createInfluxQuery({
  url: env.INFLUX_URL,
  database: env.INFLUX_DB,
  token: env.INFLUX_TOKEN,
  username: env.INFLUX_USERNAME,
  password: env.INFLUX_PASSWORD,
});
// Retention policies and downsampling are InfluxDB's to enforce; failing to set them never stops ingest.
ensureMetricsRetention(influx, env.INFLUX_DB, {
  rawDays: env.INFLUX_RAW_RETENTION_DAYS,
  longTermDays: env.INFLUX_LONG_TERM_RETENTION_DAYS,
}).then(
  ({ changed }) => {
    if (changed.length > 0) log.info({ changed }, 'InfluxDB retention policies and continuous queries set');
  },
  (error: unknown) => log.warn({ err: error }, 'could not set InfluxDB retention; metrics keep flowing'),
);
const kafka = createKafka({
  brokers: env.KAFKA_BROKERS,
  clientId: `meterops-worker-${env.WORKER_ID}`,
  security: kafkaClientSecurity(env),
});
const ingest = new IngestService({
  kafka,
  db,
  sql,
  metrics,
  log,
  topic: env.READINGS_TOPIC,
  dlqTopic: env.DLQ_TOPIC,
  validatedTopic: env.VALIDATED_TOPIC,
  groupId: env.CONSUMER_GROUP,
  workerId: env.WORKER_ID,
  concurrency: env.INGEST_CONCURRENCY,
  lagReportIntervalMs: env.LAG_REPORT_INTERVAL_MS,
  watchdogMs: env.INGEST_WATCHDOG_MS,
  // A consumer that cannot be brought back: exit non-zero so the supervisor starts a fresh process,
  // rather than live on consuming nothing.
  onFatal: (error) => {
    log.fatal({ err: error }, 'ingest cannot recover; exiting for the supervisor to restart the worker');
    process.exit(70);
  },
});

const jobs = env.JOBS_ENABLED
  ? new JobRunner({
      databaseUrl: env.WORKER_DATABASE_URL,
      sql,
      log: log.child({ component: 'jobs' }),
      metrics,
      workerId: env.WORKER_ID,
      concurrency: env.JOBS_CONCURRENCY,
      schedules: {
        nightly: env.JOBS_NIGHTLY_CRON,
        reprocessQueue: env.JOBS_REPROCESS_CRON,
        housekeeping: env.JOBS_HOUSEKEEPING_CRON,
        settlement: env.JOBS_SETTLEMENT_CRON,
        archive: env.ARCHIVE_CRON,
        retention: env.RETENTION_CRON,
        forecast: env.FORECAST_CRON,
      },
      finalizeGraceHours: env.JOBS_FINALIZE_GRACE_HOURS,
      ingest: { kafka, topic: env.READINGS_TOPIC, groupId: env.CONSUMER_GROUP },
      lifecycle: lifecycleSettings(env),
    })
  : null;

const alerting = env.ALERTS_ENABLED
  ? new AlertService({
      sources: {
        db,
        sql,
        influx,
        consumer: {
          groupId: env.CONSUMER_GROUP,
          topic: env.READINGS_TOPIC,
          lag: createLagProbe(kafka, env.CONSUMER_GROUP, env.READINGS_TOPIC),
        },
      },
      log: log.child({ component: 'alerting' }),
      evaluateIntervalMs: env.ALERTS_EVALUATE_INTERVAL_MS,
      emailIntervalMs: env.ALERTS_EMAIL_INTERVAL_MS,
      email: env.SMTP_HOST
        ? {
            transport: createTransport({
              host: env.SMTP_HOST,
              port: env.SMTP_PORT,
              secure: env.SMTP_SECURE,
              auth: env.SMTP_USER ? { user: env.SMTP_USER, pass: env.SMTP_PASSWORD ?? '' } : undefined,
            }),
            from: env.SMTP_FROM,
            publicBaseUrl: env.PUBLIC_BASE_URL,
          }
        : null,
    })
  : null;

const webhooks = env.WEBHOOKS_ENABLED
  ? new WebhookDispatcher({
      sql,
      log: log.child({ component: 'webhooks' }),
      workerId: env.WORKER_ID,
      policy: {
        allowHttp: env.WEBHOOKS_ALLOW_HTTP,
        allowPrivateNetworks: env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
      },
      timeoutMs: env.WEBHOOK_TIMEOUT_MS,
      concurrency: env.WEBHOOK_CONCURRENCY,
      pollIntervalMs: env.WEBHOOK_POLL_INTERVAL_MS,
    })
  : null;

let healthServer: HealthServer | null = null;
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info(
    { signal, deadlineMs: env.SHUTDOWN_TIMEOUT_MS },
    'stopping: finishing the batch in flight, then leaving the group',
  );
  // What is not committed by the deadline is consumed again by the next owner: nothing is lost.
  setTimeout(() => {
    log.error({ deadlineMs: env.SHUTDOWN_TIMEOUT_MS }, 'shutdown deadline passed; exiting now');
    process.exit(1);
  }, env.SHUTDOWN_TIMEOUT_MS).unref();
  await alerting?.stop();
  await ingest.stop();
  await jobs?.stop();
  await webhooks?.stop();
  await metrics.close();
  await close();
  await healthServer?.close();
  log.info({ metrics: metrics.stats() }, 'stopped');
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

if (env.WORKER_HEALTH_PORT >= 0) {
  try {
    healthServer = await serveHealth(ingest.health, {
      port: env.WORKER_HEALTH_PORT,
      host: env.WORKER_HEALTH_HOST,
      workerId: env.WORKER_ID,
    });
    log.info({ port: healthServer.port, host: env.WORKER_HEALTH_HOST }, 'health endpoints: /healthz /readyz');
  } catch (error) {
    // Ingest matters more than its probe: a taken port (a second worker on the host) is said loudly, not fatal.
    log.error(
      { err: error, port: env.WORKER_HEALTH_PORT },
      'health endpoints not served; set WORKER_HEALTH_PORT to a free port (0 picks one)',
    );
  }
}

log.info(
  { brokers: env.KAFKA_BROKERS, topic: env.READINGS_TOPIC, group: env.CONSUMER_GROUP },
  'worker starting',
);
await ingest.start();
await jobs?.start();
alerting?.start();
await webhooks?.start();
