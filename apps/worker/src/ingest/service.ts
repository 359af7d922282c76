import type { Db, Sql } from '@meterops/db/client';
import {
  commitPoint,
  consumerLagPoint,
  ingestBatchPoint,
  validationPoint,
} from '@meterops/metrics/measurements';
import type { MetricsWriter } from '@meterops/metrics/writer';
import type { Logger } from 'pino';
import {
  createBatchConsumer,
  createLagProbe,
  createProducer,
  type BatchConsumer,
  type KafkaClient,
  type LagProbe,
  type MessageProducer,
  type OutgoingMessage,
} from '../kafka';
import { IngestPipeline, type BatchOutcome } from './pipeline';

export interface IngestServiceOptions {
  kafka: KafkaClient;
  db: Db;
  sql: Sql;
  metrics: MetricsWriter;
  log: Logger;
  topic: string;
  dlqTopic: string;
  groupId: string;
  workerId: string;
  concurrency: number;
  lagReportIntervalMs: number;
  /** Told after each batch is durable and its offsets committed (tests and benchmarks listen here). */
  onBatchCommitted?: (outcome: BatchOutcome & { partition: number; lastOffset: string }) => void;
}

/**
 * The ingest loop: Kafka batch → Postgres transaction → dead letters → offset commit → metrics.
 * A batch whose transaction fails is not committed and is consumed again; that is safe because every
 * write is idempotent by key.
 */
export class IngestService {
  private consumer: BatchConsumer | null = null;
  private producer: MessageProducer | null = null;
  private lagProbe: LagProbe | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private readonly pipeline: IngestPipeline;
  /** Kafka timestamp of the last committed message per owned partition, for lag in seconds. */
  private readonly lastCommitted = new Map<number, { timestampMs: number; at: number }>();
  private owned = new Set<number>();

  constructor(private readonly options: IngestServiceOptions) {
    this.pipeline = new IngestPipeline(options.db, options.sql, {
      actor: `ingest:${options.workerId}`,
      consumerGroup: options.groupId,
      onSettingsError: (error) =>
        options.log.error({ err: error }, 'vee_settings unusable; the rule parameters in force stay'),
    });
  }

  async start(): Promise<void> {
    const { kafka, log, topic, groupId } = this.options;
    await this.pipeline.start();
    log.info({ meters: this.pipeline.fleetSize }, 'fleet loaded');
    this.producer = await createProducer(kafka);
    this.consumer = createBatchConsumer(kafka, { groupId, topic, concurrency: this.options.concurrency });
    this.consumer.onAssignment((assignment) => {
      this.owned = new Set(
        assignment.filter((entry) => entry.topic === topic).flatMap((entry) => entry.partitions),
      );
      log.info(
        { group: groupId, topic, partitions: [...this.owned].sort((a, b) => a - b) },
        'partitions assigned',
      );
    });
    this.consumer.onCrash((error) => log.error({ err: error }, 'consumer crashed; kafkajs restarts it'));
    this.lagProbe = createLagProbe(kafka, groupId, topic);
    this.lagTimer = setInterval(() => void this.reportLag(), this.options.lagReportIntervalMs);
    this.lagTimer.unref();
    await this.consumer.run((batch) => this.handle(batch));
    log.info({ group: groupId, topic }, 'joined consumer group');
  }

  async stop(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.consumer?.stop();
    await this.producer?.stop();
    await this.lagProbe?.stop();
  }

  private async handle(batch: Parameters<Parameters<BatchConsumer['run']>[0]>[0]): Promise<void> {
    const outcome = await this.pipeline.process(batch);
    // Dead letters go out after the rejections are durable in Postgres and before the offset commit,
    // so a crash in between re-sends them (at least once) rather than losing them.
    if (outcome.deadLetters.length > 0 && this.producer) await this.sendDeadLetters(outcome.deadLetters);
    const last = batch.messages.at(-1);
    if (last)
      this.lastCommitted.set(batch.partition, { timestampMs: Number(last.timestamp), at: Date.now() });
    this.emitBatchMetrics(batch.partition, last?.offset ?? '0', outcome);
    this.options.onBatchCommitted?.({
      ...outcome,
      partition: batch.partition,
      lastOffset: last?.offset ?? '0',
    });
  }

  /**
   * The dead-letter topic is a notification copy: rejected_readings in Postgres already holds every
   * rejection durably. A send that Kafka refuses for good (e.g. too large) is logged, not retried forever,
   * so it cannot stop ingest; a broker that is down still fails the batch through kafkajs's retries.
   */
  private async sendDeadLetters(deadLetters: OutgoingMessage[]): Promise<void> {
    const chunkSize = 100;
    for (let start = 0; start < deadLetters.length; start += chunkSize) {
      try {
        await this.producer?.send(this.options.dlqTopic, deadLetters.slice(start, start + chunkSize));
      } catch (error) {
        if (!isRefusedForGood(error)) throw error;
        this.options.log.error(
          { err: error, deadLetters: Math.min(chunkSize, deadLetters.length - start) },
          'dead-letter topic refused messages; the rejections are stored in rejected_readings',
        );
      }
    }
  }

  private emitBatchMetrics(partition: number, lastOffset: string, outcome: BatchOutcome): void {
    const { metrics, workerId, topic, groupId } = this.options;
    const rejected = [...outcome.rejectedByRule.values()].reduce((sum, count) => sum + count, 0);
    metrics.write([
      ingestBatchPoint({
        worker: workerId,
        topic,
        records: outcome.records,
        accepted: outcome.inserted + outcome.revised,
        duplicates: outcome.duplicates,
        revised: outcome.revised,
        rejected,
        dbMs: outcome.dbMs,
        e2eMs: outcome.intervalEndLagMs ?? undefined,
        kafkaLagMs: outcome.kafkaLagMs ?? undefined,
      }),
      commitPoint({ group: groupId, topic, partition, offset: Number(lastOffset) + 1 }),
      ...[...outcome.rejectedByRule].map(([rule, count]) =>
        validationPoint({ rule, outcome: 'rejected', count }),
      ),
      ...[...outcome.flaggedByRule].map(([rule, count]) =>
        validationPoint({ rule, outcome: 'flagged', count }),
      ),
    ]);
  }

  private async reportLag(): Promise<void> {
    if (!this.lagProbe || this.owned.size === 0) return;
    const { metrics, log, topic, groupId } = this.options;
    try {
      const now = Date.now();
      const lags = await this.lagProbe.read();
      metrics.write(
        lags
          .filter((entry) => this.owned.has(entry.partition))
          .map((entry) => {
            const last = this.lastCommitted.get(entry.partition);
            // Upper bound of the oldest uncommitted message's age: it was produced after the last
            // committed one. Zero when caught up.
            const seconds = entry.lag === 0n || !last ? 0 : Math.max(0, (now - last.timestampMs) / 1000);
            return consumerLagPoint({
              group: groupId,
              topic,
              partition: entry.partition,
              offsets: Number(entry.lag),
              seconds,
            });
          }),
      );
    } catch (error) {
      log.warn({ err: error }, 'could not read consumer lag');
    }
  }
}

/** Kafka's answer for a record it will never accept, as opposed to a broker that is unreachable for now. */
function isRefusedForGood(error: unknown): boolean {
  const text =
    error instanceof Error
      ? `${error.name} ${error.message} ${String((error as { type?: unknown }).type)}`
      : '';
  return /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|INVALID_RECORD|larger than the max message size/.test(text);
}
