import { Point } from '@influxdata/influxdb-client';

/**
 * Measurement names, for queries. A field keeps the type it was first written with (per shard), so
 * each builder below always writes a field with the same type: counts and offsets as integers,
 * durations as floats.
 */
export const MEASUREMENT = {
  ingestBatch: 'ingest_batch',
  consumerLag: 'consumer_lag',
  jobRun: 'job_run',
  validation: 'validation',
  commit: 'commit',
  workerStatus: 'worker_status',
} as const;

interface Timed {
  /** Defaults to the time the point is handed to the writer. */
  time?: Date;
}

/** One batch the ingest worker consumed and committed. */
export interface IngestBatchMetrics extends Timed {
  worker: string;
  topic: string;
  /** Messages in the batch. */
  records: number;
  /** Readings inserted or changed. */
  accepted: number;
  /** Readings identical to the stored ones. */
  duplicates: number;
  /** Readings that replaced a stored reading with a different value. */
  revised: number;
  /** Messages quarantined by a validation rule. */
  rejected: number;
  /** Time spent in the Postgres transaction. */
  dbMs: number;
  /** Commit time minus the interval end of a reading; for a batch, the largest. */
  e2eMs?: number;
  /** Commit time minus the Kafka message timestamp; for a batch, the largest. */
  kafkaLagMs?: number;
}

export function ingestBatchPoint(m: IngestBatchMetrics): Point {
  const point = new Point(MEASUREMENT.ingestBatch).tag('worker', m.worker).tag('topic', m.topic);
  integer(point, 'records', m.records);
  integer(point, 'accepted', m.accepted);
  integer(point, 'duplicates', m.duplicates);
  integer(point, 'revised', m.revised);
  integer(point, 'rejected', m.rejected);
  float(point, 'db_ms', m.dbMs);
  float(point, 'e2e_ms', m.e2eMs);
  float(point, 'kafka_lag_ms', m.kafkaLagMs);
  return at(point, m.time);
}

/** How far a consumer group is behind the end of one partition. */
export interface ConsumerLagMetrics extends Timed {
  group: string;
  topic: string;
  partition: number;
  /** High watermark minus the committed offset. */
  offsets: number;
  /** Age of the oldest message not yet committed; 0 when caught up. */
  seconds: number;
}

export function consumerLagPoint(m: ConsumerLagMetrics): Point {
  const point = new Point(MEASUREMENT.consumerLag)
    .tag('group', m.group)
    .tag('topic', m.topic)
    .tag('partition', String(m.partition));
  integer(point, 'offsets', m.offsets);
  float(point, 'seconds', m.seconds);
  return at(point, m.time);
}

/** One finished run of a scheduled or on-demand job. */
export interface JobRunMetrics extends Timed {
  job: string;
  status: 'completed' | 'failed';
  /** What the job processed: meter-days finalized, gaps estimated, rows deleted. */
  items: number;
  durationMs: number;
}

export function jobRunPoint(m: JobRunMetrics): Point {
  const point = new Point(MEASUREMENT.jobRun).tag('job', m.job).tag('status', m.status);
  integer(point, 'items', m.items);
  float(point, 'duration_ms', m.durationMs);
  return at(point, m.time);
}

/** Readings one VEE rule judged in one batch. */
export interface ValidationMetrics extends Timed {
  rule: string;
  outcome: 'passed' | 'flagged' | 'rejected';
  count: number;
}

export function validationPoint(m: ValidationMetrics): Point {
  const point = new Point(MEASUREMENT.validation).tag('rule', m.rule).tag('outcome', m.outcome);
  integer(point, 'count', m.count);
  return at(point, m.time);
}

/** An offset the consumer group committed after the Postgres transaction committed. */
export interface CommitMetrics extends Timed {
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

export function commitPoint(m: CommitMetrics): Point {
  const point = new Point(MEASUREMENT.commit)
    .tag('group', m.group)
    .tag('topic', m.topic)
    .tag('partition', String(m.partition));
  integer(point, 'offset', m.offset);
  return at(point, m.time);
}

/** A worker's state every few seconds: the pipeline page draws pauses and restarts from it. */
export interface WorkerStatusMetrics extends Timed {
  worker: string;
  group: string;
  /** consuming | paused | restarting | starting | stopping */
  state: string;
  /** 1 while ingest is paused (waiting for Postgres, the broker, or a consumer restart). */
  paused: boolean;
  /** Why, while paused. */
  reason?: string;
  partitions: number;
  /** Seconds since the last committed batch; absent before the first. */
  lastBatchAgeSeconds?: number;
  consumerRestarts: number;
}

export function workerStatusPoint(m: WorkerStatusMetrics): Point {
  const point = new Point(MEASUREMENT.workerStatus).tag('worker', m.worker).tag('group', m.group);
  point.stringField('state', m.state);
  integer(point, 'paused', m.paused ? 1 : 0);
  if (m.reason !== undefined) point.stringField('reason', m.reason.slice(0, 500));
  integer(point, 'partitions', m.partitions);
  float(point, 'last_batch_age_s', m.lastBatchAgeSeconds);
  integer(point, 'consumer_restarts', m.consumerRestarts);
  return at(point, m.time);
}

// Point's field setters throw on values line protocol cannot carry. These builders run on the ingest
// hot path, so such a value (an unknown lag computed as NaN) is left out instead; a point left with
// no fields is counted as dropped by the writer.

function integer(point: Point, name: string, value: number): void {
  if (Number.isFinite(value) && Math.abs(value) < 2 ** 63) point.intField(name, Math.round(value));
}

function float(point: Point, name: string, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value)) point.floatField(name, value);
}

function at(point: Point, time: Date | undefined): Point {
  return time === undefined ? point : point.timestamp(time);
}
