import { hostname } from 'node:os';
import type { Db, Sql } from '@meterops/db/client';
import { markDeadLettered, pendingDeadLetters, readIngestPosition } from '@meterops/db/queries/ingest';
import { activeReplayWindows } from '@meterops/db/queries/replay';
import { upsertWorkerHeartbeat } from '@meterops/db/queries/workers';
import {
  commitPoint,
  consumerLagPoint,
  ingestBatchPoint,
  validationPoint,
  workerStatusPoint,
} from '@meterops/metrics/measurements';
import type { MetricsWriter } from '@meterops/metrics/writer';
import type { Logger } from 'pino';
import {
  createBatchConsumer,
  createLagProbe,
  createProducer,
  ensureTopics,
  topicPartitionCount,
  type BatchConsumer,
  type BatchControl,
  type KafkaBatch,
  type KafkaClient,
  type LagProbe,
  type MessageProducer,
} from '../kafka';
import { isInfrastructureError } from './errors';
import { IngestHealth } from './health';
import { deadLetter, IngestPipeline, RewindRequired, type BatchOutcome } from './pipeline';
import { validatedMessageChunks } from './validated';

export interface IngestServiceOptions {
  kafka: KafkaClient;
  db: Db;
  sql: Sql;
  metrics: MetricsWriter;
  log: Logger;
  topic: string;
  dlqTopic: string;
  /** Where accepted readings are published (meter.readings.validated); null or empty: not published. */
  validatedTopic?: string | null;
  groupId: string;
  workerId: string;
  concurrency: number;
  lagReportIntervalMs: number;
  /** How often the worker reports its state to Postgres and InfluxDB. */
  statusIntervalMs?: number;
  /** A consumer that has not fetched for this long while nothing pauses it is restarted. */
  watchdogMs?: number;
  /** Longest wait between two tries while the infrastructure is down. */
  maxBackoffMs?: number;
  /** How long vee_settings and the archived months are used before ingest reads them again (60 s). */
  settingsMaxAgeMs?: number;
  /**
   * How often the dead-letter copies still owed are sent, and how old a rejection must be before the
   * sweep takes it (younger ones belong to a batch in flight).
   */
  deadLetterSweep?: { intervalMs: number; minAgeMs: number };
  /** Told when the consumer cannot be brought back: the process should exit non-zero for its supervisor. */
  onFatal?: (error: Error) => void;
  /** Told after each batch is durable and its offsets committed (tests and benchmarks listen here). */
  onBatchCommitted?: (outcome: BatchOutcome & { partition: number; lastOffset: string }) => void;
}

/** Consecutive failed consumer starts after which the process gives up and exits for its supervisor. */
const MAX_CONSUMER_START_FAILURES = 8;

/**
 * The ingest loop: Kafka batch → Postgres transaction → offset commit → dead letters → metrics.
 *
 * Nothing a producer sends can stop it: each message that fails is quarantined (see IngestPipeline).
 * Nothing the infrastructure does ends it: while Postgres is unreachable the batch in hand is retried with
 * backoff (heartbeating, so the partition stays ours) and the worker reports itself paused; a consumer
 * that crashes is replaced; a consumer that stops fetching is restarted by a watchdog. A live process
 * that consumes nothing is therefore not a state it can stay in: it recovers or exits non-zero.
 */
export class IngestService {
  private consumer: BatchConsumer | null = null;
  private producer: MessageProducer | null = null;
  private lagProbe: LagProbe | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pipeline: IngestPipeline;
  /** Kafka timestamp of the last committed message per owned partition, for lag in seconds. */
  private readonly lastCommitted = new Map<number, { timestampMs: number; at: number }>();
  private stopping = false;
  private restarting: Promise<void> | null = null;
  private consumerStartFailures = 0;
  private sweeping = false;
  /** Replay windows (`replay:partition`) this consumer already sought to, since its last assignment. */
  private readonly sought = new Set<string>();
  readonly health: IngestHealth;

  constructor(private readonly options: IngestServiceOptions) {
    this.pipeline = new IngestPipeline(options.db, options.sql, {
      actor: `ingest:${options.workerId}`,
      consumerGroup: options.groupId,
      settingsMaxAgeMs: options.settingsMaxAgeMs,
      onSettingsError: (error) =>
        options.log.error({ err: error }, 'vee_settings unusable; the rule parameters in force stay'),
      collectValidated: (options.validatedTopic ?? '') !== '',
    });
    this.health = new IngestHealth({ watchdogMs: options.watchdogMs ?? 120_000 });
  }

  async start(): Promise<void> {
    const { kafka, log, topic, groupId } = this.options;
    await this.untilUp('postgres', () => this.pipeline.start());
    log.info({ meters: this.pipeline.fleetSize }, 'fleet loaded');
    this.producer = await this.untilUp('kafka', () => createProducer(kafka));
    const validatedTopic = this.options.validatedTopic ?? '';
    if (validatedTopic !== '') {
      // A missing topic would pause ingest at the first batch; as many partitions as the input keeps a
      // meter's readings in order on one partition.
      await this.untilUp('kafka', async () => {
        const partitions = (await topicPartitionCount(kafka, topic)) ?? 12;
        await ensureTopics(kafka, [{ topic: validatedTopic, numPartitions: partitions }]);
      });
    }
    this.lagProbe = createLagProbe(kafka, groupId, topic);
    this.every(this.options.lagReportIntervalMs, () => this.reportLag());
    this.every(this.options.statusIntervalMs ?? 5_000, () => this.reportStatus());
    this.every(this.options.deadLetterSweep?.intervalMs ?? 30_000, () => this.sweepDeadLetters());
    this.every(15_000, () => this.watchdog());
    this.every(2_000, () => this.followReplays());
    await this.startConsumer();
    log.info({ group: groupId, topic }, 'joined consumer group');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.health.setState('stopping');
    for (const timer of this.timers) clearInterval(timer);
    await this.consumer?.stop();
    await this.producer?.stop().catch(() => undefined);
    await this.lagProbe?.stop().catch(() => undefined);
    await this.reportStatus();
  }

  private every(ms: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task(), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private async startConsumer(): Promise<void> {
    const { kafka, log, topic, groupId } = this.options;
    const consumer = createBatchConsumer(kafka, { groupId, topic, concurrency: this.options.concurrency });
    this.consumer = consumer;
    consumer.onAssignment((assignment) => {
      const partitions = assignment
        .filter((entry) => entry.topic === topic)
        .flatMap((entry) => entry.partitions)
        .sort((a, b) => a - b);
      this.health.joined(partitions);
      this.sought.clear();
      log.info({ group: groupId, topic, partitions }, 'partitions assigned');
    });
    consumer.onFetch(() => this.health.fetched());
    consumer.onCrash((error, restarting) => {
      if (consumer !== this.consumer || this.stopping) return;
      if (restarting) {
        this.health.pause(`kafka: ${error.message}`, 'restarting');
        log.error({ err: error }, 'consumer crashed; kafkajs restarts it');
      } else {
        log.error({ err: error }, 'consumer crashed and kafkajs gives up on it; starting a new consumer');
        void this.restartConsumer(`consumer crashed: ${error.message}`);
      }
    });
    this.health.setState('starting');
    await consumer.run((batch, control) => this.handle(batch, control));
    this.consumerStartFailures = 0;
  }

  /** Replaces the consumer, with backoff between failed starts; gives up (onFatal) after many in a row. */
  private restartConsumer(reason: string): Promise<void> {
    this.restarting ??= (async () => {
      this.health.pause(reason, 'restarting');
      this.health.consumerRestarted();
      const old = this.consumer;
      this.consumer = null;
      await old?.stop().catch(() => undefined);
      while (!this.stopping) {
        try {
          await this.startConsumer();
          this.options.log.info({ reason }, 'consumer restarted');
          return;
        } catch (error) {
          this.consumerStartFailures += 1;
          this.options.log.error(
            { err: error, failures: this.consumerStartFailures },
            'could not start a new consumer',
          );
          if (this.consumerStartFailures >= MAX_CONSUMER_START_FAILURES) {
            this.options.onFatal?.(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          await sleep(this.backoffMs(this.consumerStartFailures));
        }
      }
    })().finally(() => {
      this.restarting = null;
    });
    return this.restarting;
  }

  private async watchdog(): Promise<void> {
    if (this.stopping || this.restarting) return;
    const stuck = this.health.stuckFor(Date.now());
    if (stuck === null) return;
    this.options.log.error({ silentMs: stuck }, 'consumer has not fetched for too long; restarting it');
    await this.restartConsumer(`watchdog: no fetch for ${Math.round(stuck / 1000)} s`);
  }

  /**
   * A replay moved a stored position of an owned partition back: seek there. An idle partition gets no
   * batch that would show the gap, so this looks for running replays every few seconds.
   */
  private async followReplays(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer || this.health.paused || this.stopping) return;
    const owned = new Set(this.health.snapshot(Date.now()).partitions);
    if (owned.size === 0) return;
    const { sql, groupId, topic, log } = this.options;
    try {
      const windows = await activeReplayWindows(sql, { consumerGroup: groupId });
      for (const window of windows) {
        const key = `${window.replayId}:${window.partition}`;
        if (window.topic !== topic || !owned.has(window.partition) || this.sought.has(key)) continue;
        const stored = await readIngestPosition(sql, {
          consumerGroup: groupId,
          topic,
          partition: window.partition,
        });
        this.sought.add(key);
        if (stored === null || stored >= window.toOffset) continue;
        this.pipeline.refreshReplays();
        consumer.seek(topic, window.partition, stored);
        log.info(
          { replay: window.replayId, partition: window.partition, offset: stored.toString() },
          'replay: reading the partition again from its stored position',
        );
      }
    } catch (error) {
      log.warn({ err: error }, 'could not look for replays; trying again shortly');
    }
  }

  /** Retries `task` until it succeeds while its failures are the infrastructure's, reporting a pause. */
  private async untilUp<T>(what: string, task: () => Promise<T>, control?: BatchControl): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await task();
        if (attempt > 0) {
          this.health.resume();
          this.options.log.info({ what, attempts: attempt + 1 }, `${what} is back; ingest resumes`);
        }
        return result;
      } catch (error) {
        if (!isInfrastructureError(error) && what === 'postgres') throw error;
        if (this.stopping || (control && !control.isActive())) throw error;
        const message = error instanceof Error ? error.message : String(error);
        if (attempt === 0) this.options.log.error({ err: error, what }, `${what} unavailable; ingest pauses`);
        this.health.pause(`${what}: ${message}`);
        await this.waitWithHeartbeats(this.backoffMs(attempt), control);
      }
    }
  }

  private backoffMs(attempt: number): number {
    const max = this.options.maxBackoffMs ?? 15_000;
    return Math.min(max, 250 * 2 ** Math.min(attempt, 10)) * (0.75 + Math.random() * 0.5);
  }

  /** Waits, heartbeating every few seconds so the group keeps the partition with this worker. */
  private async waitWithHeartbeats(ms: number, control?: BatchControl): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await sleep(Math.min(2_000, until - Date.now()));
      if (control) await control.heartbeat();
    }
  }

  /** Returns whether the batch's offsets may be committed. */
  private async handle(batch: KafkaBatch, control: BatchControl): Promise<boolean> {
    this.health.batchStarted();
    try {
      return await this.handleBatch(batch, control);
    } finally {
      this.health.batchEnded();
    }
  }

  private async handleBatch(batch: KafkaBatch, control: BatchControl): Promise<boolean> {
    this.health.consuming();
    let outcome: BatchOutcome;
    try {
      outcome = await this.untilUp('postgres', () => this.processBatch(batch), control);
    } catch (error) {
      if (!(error instanceof RewindRequired)) throw error;
      this.options.log.warn(
        { partition: error.partition, offset: error.offset.toString() },
        'stored position is behind the delivered batch (a replay); seeking back',
      );
      control.seek(error.offset);
      return false;
    }
    // Durable in Postgres; the validated copies go out before the offset is committed (at least once).
    const validatedTopic = this.options.validatedTopic ?? '';
    if (validatedTopic !== '' && outcome.validated.length > 0) {
      for (const chunk of validatedMessageChunks(outcome.validated)) {
        await this.untilUp(
          'kafka',
          () => this.producer?.send(validatedTopic, chunk) ?? Promise.resolve(),
          control,
        );
      }
    }
    const last = batch.messages.at(-1);
    if (last)
      this.lastCommitted.set(batch.partition, { timestampMs: Number(last.timestamp), at: Date.now() });
    this.health.batchCommitted();
    // The copies to the dead-letter topic go out after the rejections are durable; one that fails is
    // still owed in rejected_readings (dead_lettered_at null) and the sweep sends it later.
    if (outcome.deadLetters.length > 0) void this.sendDeadLetters(outcome.deadLetters);
    this.emitBatchMetrics(batch.partition, last?.offset ?? '0', outcome);
    this.options.onBatchCommitted?.({
      ...outcome,
      partition: batch.partition,
      lastOffset: last?.offset ?? '0',
    });
    return true;
  }

  /**
   * The pipeline, except that a stored position behind the batch which retention explains (the messages
   * in between are gone from Kafka) is accepted instead of sought, which would loop.
   */
  private async processBatch(batch: KafkaBatch): Promise<BatchOutcome> {
    try {
      return await this.pipeline.processIsolated(batch);
    } catch (error) {
      if (!(error instanceof RewindRequired) || !this.consumer) throw error;
      const logStart = (await this.consumer.logStart(batch.topic)).get(batch.partition) ?? 0n;
      if (error.offset >= logStart) throw error;
      this.options.log.warn(
        { partition: batch.partition, storedNext: error.offset.toString(), logStart: logStart.toString() },
        'messages between the stored position and the log start were deleted by retention before ingest read them',
      );
      return this.pipeline.processIsolated(batch, { acceptGap: true });
    }
  }

  private async sendDeadLetters(deadLetters: BatchOutcome['deadLetters']): Promise<void> {
    const chunkSize = 100;
    for (let start = 0; start < deadLetters.length; start += chunkSize) {
      const chunk = deadLetters.slice(start, start + chunkSize);
      try {
        await this.producer?.send(
          this.options.dlqTopic,
          chunk.map((entry) => entry.message),
        );
      } catch (error) {
        if (!isRefusedForGood(error)) {
          this.options.log.warn(
            { err: error, deadLetters: deadLetters.length - start },
            'dead-letter topic unreachable; the copies stay owed and are sent later',
          );
          return;
        }
        // Kafka will never take these (too large): the rejection in Postgres is the record.
        this.options.log.error(
          { err: error, deadLetters: chunk.length },
          'dead-letter topic refused messages; the rejections are stored in rejected_readings',
        );
      }
      try {
        await markDeadLettered(
          this.options.sql,
          chunk.map((entry) => entry.id),
        );
      } catch (error) {
        // Unmarked copies are sent again by the sweep: at least once, never lost.
        this.options.log.warn({ err: error }, 'could not record dead-letter copies as sent');
        return;
      }
    }
  }

  /** Sends the dead-letter copies still owed: a crash or a broker outage came between storing and sending. */
  private async sweepDeadLetters(): Promise<void> {
    if (this.sweeping || this.health.paused) return;
    this.sweeping = true;
    try {
      for (let round = 0; round < 20; round++) {
        const pending = await pendingDeadLetters(this.options.sql, {
          minAgeMs: this.options.deadLetterSweep?.minAgeMs ?? 60_000,
          limit: 500,
        });
        if (pending.length === 0) return;
        await this.sendDeadLetters(pending.map(deadLetter));
        if (pending.length < 500) return;
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'dead-letter sweep failed; it runs again shortly');
    } finally {
      this.sweeping = false;
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

  /** The worker's state to InfluxDB (always) and to Postgres (when it answers). */
  private async reportStatus(): Promise<void> {
    const { metrics, workerId, groupId, log } = this.options;
    const snapshot = this.health.snapshot(Date.now());
    metrics.write([
      workerStatusPoint({
        worker: workerId,
        group: groupId,
        state: snapshot.state,
        paused: snapshot.paused !== null,
        reason: snapshot.paused?.reason,
        partitions: snapshot.partitions.length,
        lastBatchAgeSeconds: snapshot.lastBatchAgeMs === null ? undefined : snapshot.lastBatchAgeMs / 1000,
        consumerRestarts: snapshot.consumerRestarts,
      }),
    ]);
    try {
      await upsertWorkerHeartbeat(this.options.sql, {
        workerId,
        consumerGroup: groupId,
        host: hostname(),
        pid: process.pid,
        state: this.stopping && snapshot.state === 'stopping' ? 'stopped' : snapshot.state,
        pausedReason: snapshot.paused?.reason ?? null,
        pausedSince: snapshot.paused ? new Date(snapshot.paused.sinceMs) : null,
        partitions: snapshot.partitions,
        lastBatchAt: snapshot.lastBatchAtMs === null ? null : new Date(snapshot.lastBatchAtMs),
        lastFetchAt: snapshot.lastFetchAtMs === null ? null : new Date(snapshot.lastFetchAtMs),
        consumerRestarts: snapshot.consumerRestarts,
        startedAt: new Date(snapshot.startedAtMs),
      });
    } catch (error) {
      log.debug({ err: error }, 'could not store the worker heartbeat');
    }
  }

  private async reportLag(): Promise<void> {
    const owned = new Set(this.health.snapshot(Date.now()).partitions);
    if (!this.lagProbe || owned.size === 0) return;
    const { metrics, log, topic, groupId } = this.options;
    try {
      const now = Date.now();
      const lags = await this.lagProbe.read();
      metrics.write(
        lags
          .filter((entry) => owned.has(entry.partition))
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Kafka's answer for a record it will never accept, as opposed to a broker that is unreachable for now. */
function isRefusedForGood(error: unknown): boolean {
  const text =
    error instanceof Error
      ? `${error.name} ${error.message} ${String((error as { type?: unknown }).type)}`
      : '';
  return /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE|INVALID_RECORD|larger than the max message size/.test(text);
}
