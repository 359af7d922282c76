/**
 * The worker's only contact with the Kafka client library. Everything else sees these small types, so
 * kafkajs can be replaced (for example by @confluentinc/kafka-javascript's KafkaJS-style API) here alone.
 */
import type { KafkaClientSecurity } from '@meterops/domain/transport';
import { Kafka, Partitioners, logLevel, type Consumer, type Producer } from 'kafkajs';

export interface KafkaMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Producer or broker time, epoch ms as a string. */
  timestamp: string;
}

export interface KafkaBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: KafkaMessage[];
}

interface PartitionLag {
  partition: number;
  committedOffset: bigint;
  highWatermark: bigint;
  lag: bigint;
}

export interface OutgoingMessage {
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

/**
 * kafkajs 2.2.4 passes a negative delay to setTimeout on Node 24, which Node clamps to 1 ms and reports
 * as TimeoutNegativeWarning (tulios/kafkajs#1751): harmless, but it lands in the middle of the CLI's
 * output and the worker's log. Every other warning still prints.
 */
let timeoutWarningHidden = false;
function hideKafkajsTimeoutWarning(): void {
  if (timeoutWarningHidden) return;
  timeoutWarningHidden = true;
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') console.warn(`(node) ${warning.name}: ${warning.message}`);
  });
}

/**
 * `security` carries TLS and SASL (SCRAM-SHA-512 in the stack's SCRAM listener) from the environment
 * (`kafkaClientSecurity(env)`); without it the client speaks PLAINTEXT, as to the local broker.
 */
export function createKafka(options: {
  brokers: string[];
  clientId: string;
  security?: KafkaClientSecurity;
}) {
  hideKafkajsTimeoutWarning();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    ...options.security,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 300, retries: 8 },
  });
}

export type KafkaClient = ReturnType<typeof createKafka>;

/** What a batch handler may do with the consumer while it works on a batch. */
export interface BatchControl {
  /** Keeps the group membership alive during a long wait (a paused database); throws when rebalancing. */
  heartbeat(): Promise<void>;
  /** False once the consumer stops or the partition was taken away: abandon the batch, commit nothing. */
  isActive(): boolean;
  /** Reads the partition again from `offset` on; the batch in hand is dropped, uncommitted. */
  seek(offset: bigint): void;
}

export interface BatchConsumer {
  /**
   * Calls `handle` with each fetched batch of one partition and commits the batch's offsets only after
   * `handle` resolves with true. If `handle` throws, nothing is committed and the batch is fetched again;
   * if it resolves with false (it sought elsewhere), nothing is committed either.
   */
  run(handle: (batch: KafkaBatch, control: BatchControl) => Promise<boolean>): Promise<void>;
  stop(): Promise<void>;
  onAssignment(listener: (assignment: { topic: string; partitions: number[] }[]) => void): void;
  /** `restarting`: whether kafkajs restarts the consumer itself; when false, the caller must. */
  onCrash(listener: (error: Error, restarting: boolean) => void): void;
  /** Every fetch from the brokers, with or without messages: proof that the consumer is alive. */
  onFetch(listener: () => void): void;
  /** The group's low watermark (first offset still in the log) per partition. */
  logStart(topic: string): Promise<Map<number, bigint>>;
  /** Reads a partition this consumer owns again from `offset` on (a replay). */
  seek(topic: string, partition: number, offset: bigint): void;
}

export function createBatchConsumer(
  kafka: KafkaClient,
  options: { groupId: string; topic: string; concurrency: number; fromBeginning?: boolean },
): BatchConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    // Whole daily profiles are ~5 KB; a few MB per partition keeps each Postgres transaction large.
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    maxWaitTimeInMs: 250,
    // A crash (for example the broker unreachable past the retries) restarts the consumer from the last
    // committed offsets instead of leaving the process idle. Crashes kafkajs does not restart from are
    // reported through onCrash, and the ingest service starts a new consumer.
    retry: { retries: 5, restartOnFailure: () => Promise.resolve(true) },
  });
  const admin = kafka.admin();
  let adminConnected: Promise<void> | null = null;
  return {
    async run(handle) {
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.concurrency,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const last = batch.messages.at(-1);
          if (!last || !payload.isRunning() || payload.isStale()) return;
          const commit = await handle(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              messages: batch.messages.map((message) => ({
                offset: message.offset,
                key: message.key,
                value: message.value,
                timestamp: message.timestamp,
              })),
            },
            {
              heartbeat: () => payload.heartbeat(),
              isActive: () => payload.isRunning() && !payload.isStale(),
              seek: (offset) =>
                consumer.seek({ topic: batch.topic, partition: batch.partition, offset: offset.toString() }),
            },
          );
          if (!commit) return;
          payload.resolveOffset(last.offset);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          await payload.heartbeat();
        },
      });
    },
    async stop() {
      await consumer.disconnect();
      if (adminConnected) await admin.disconnect().catch(() => undefined);
    },
    onAssignment(listener) {
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        listener(
          Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
            topic,
            partitions,
          })),
        );
      });
    },
    onCrash(listener) {
      consumer.on(consumer.events.CRASH, (event) => listener(event.payload.error, event.payload.restart));
    },
    onFetch(listener) {
      consumer.on(consumer.events.FETCH, () => listener());
    },
    seek(topic, partition, offset) {
      consumer.seek({ topic, partition, offset: offset.toString() });
    },
    async logStart(topic) {
      await (adminConnected ??= admin.connect());
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((entry) => [entry.partition, BigInt(entry.low)]));
    },
  };
}

export interface MessageProducer {
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  stop(): Promise<void>;
}

export async function createProducer(kafka: KafkaClient): Promise<MessageProducer> {
  // The default (murmur2, Java-compatible) partitioner: a meter's messages land where any Kafka client would put them.
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return {
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({ topic, acks: -1, messages });
    },
    stop: () => producer.disconnect(),
  };
}

export interface LagProbe {
  /** Committed offset, high watermark and lag of every partition of the topic for the group. */
  read(): Promise<PartitionLag[]>;
  stop(): Promise<void>;
}

/** Reads a consumer group's lag through one long-lived admin connection. */
export function createLagProbe(kafka: KafkaClient, groupId: string, topic: string): LagProbe {
  const admin = kafka.admin();
  let connected: Promise<void> | null = null;
  return {
    async read() {
      await (connected ??= admin.connect());
      const [ends, committed] = await Promise.all([
        admin.fetchTopicOffsets(topic),
        admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const committedByPartition = new Map(
        (committed[0]?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]),
      );
      return ends
        .map((end) => {
          const highWatermark = BigInt(end.high);
          const raw = committedByPartition.get(end.partition) ?? -1n;
          // -1 means the group never committed: everything from the log start is lag.
          const committedOffset = raw < 0n ? BigInt(end.low) : raw;
          const lag = highWatermark > committedOffset ? highWatermark - committedOffset : 0n;
          return { partition: end.partition, committedOffset, highWatermark, lag };
        })
        .sort((a, b) => a.partition - b.partition);
    },
    async stop() {
      if (connected) await admin.disconnect();
    },
  };
}

/** Creates topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(kafka: KafkaClient, topics: { topic: string; numPartitions: number }[]) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** How many partitions a topic has, or null when it does not exist. */
export async function topicPartitionCount(kafka: KafkaClient, topic: string): Promise<number | null> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return null;
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    return metadata.topics[0]?.partitions.length ?? null;
  } finally {
    await admin.disconnect();
  }
}
