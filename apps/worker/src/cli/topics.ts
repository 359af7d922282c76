import { kafkaClientSecurity } from '@meterops/domain/transport';
import { env } from '../env';
import { createKafka, ensureTopics } from '../kafka';

/** Creates the readings topic (12 partitions, keyed by meter) and its dead-letter topic if missing. */
const kafka = createKafka({
  brokers: env.KAFKA_BROKERS,
  clientId: 'meterops-topics',
  security: kafkaClientSecurity(env),
});
await ensureTopics(kafka, [
  { topic: env.READINGS_TOPIC, numPartitions: 12 },
  { topic: env.DLQ_TOPIC, numPartitions: 3 },
]);
console.log(`topics ready: ${env.READINGS_TOPIC}, ${env.DLQ_TOPIC}`);
