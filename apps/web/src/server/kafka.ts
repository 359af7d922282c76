/**
 * The web app's Kafka producer, for re-driving rejects into the readings topic. One long-lived producer
 * per server process, connected on first use, configured as the worker's (acks from all in-sync
 * replicas, no topic auto-creation, the Java-compatible partitioner) so a re-driven reading lands on the
 * partition of its meter like any producer's.
 */
import 'server-only';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { RedriveMessage } from '@meterops/domain/redrive';
import { env } from '../env';

const globalForKafka = globalThis as typeof globalThis & { meteropsWebProducer?: Promise<Producer> };

/**
 * The shared producer. Kept on globalThis because `next dev` re-evaluates modules on edits; a failed
 * connect is forgotten, so the next re-drive tries again instead of failing forever.
 */
function producer(): Promise<Producer> {
  globalForKafka.meteropsWebProducer ??= (async () => {
    const kafka = new Kafka({
      clientId: 'meterops-web',
      brokers: env.KAFKA_BROKERS,
      logLevel: logLevel.WARN,
      retry: { initialRetryTime: 300, retries: 5 },
    });
    const created = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await created.connect();
    return created;
  })().catch((error: unknown) => {
    globalForKafka.meteropsWebProducer = undefined;
    throw error;
  });
  return globalForKafka.meteropsWebProducer;
}

/** Publishes re-drive messages to one topic; resolves once every message is acknowledged. */
export interface ReadingsPublisher {
  topic: string;
  publish(messages: readonly RedriveMessage[]): Promise<void>;
}

export function readingsPublisher(topic: string = env.READINGS_TOPIC): ReadingsPublisher {
  return {
    topic,
    async publish(messages) {
      if (messages.length === 0) return;
      await (
        await producer()
      ).send({
        topic,
        acks: -1,
        messages: messages.map(({ key, value, headers }) => ({ key, value, headers })),
      });
    },
  };
}

/**
 * Publishes one message of the readings contract (POST /api/v1/readings), keyed by its meter, and
 * answers where it landed: the position the worker's rejects and ingest offsets refer to.
 */
export async function publishReadingMessage(
  message: { key: string; value: string },
  topic: string = env.READINGS_TOPIC,
): Promise<{ topic: string; partition: number; offset: number }> {
  const [metadata] = await (await producer()).send({ topic, acks: -1, messages: [message] });
  if (metadata === undefined) throw new Error('Kafka acknowledged the message without its position');
  return { topic, partition: metadata.partition, offset: Number(metadata.baseOffset) };
}
