import { kafkaClientSecurity } from '@meterops/domain/transport';
import { applyTopicRetention } from '../../../../scripts/lib/kafka-retention';
import { env } from '../env';
import { createKafka, ensureTopics } from '../kafka';

/**
 * Creates the readings topic (12 partitions, keyed by meter) and its dead-letter topic if missing, and
 * sets their retention.ms (KAFKA_READINGS_RETENTION_HOURS, KAFKA_DLQ_RETENTION_HOURS) with the stack's
 * own function, so `npm run stack -- up` and this command agree.
 */
const kafka = createKafka({
  brokers: env.KAFKA_BROKERS,
  clientId: 'meterops-topics',
  security: kafkaClientSecurity(env),
});
await ensureTopics(kafka, [
  { topic: env.READINGS_TOPIC, numPartitions: 12 },
  { topic: env.DLQ_TOPIC, numPartitions: 3 },
  // Keyed by meter like the input, with as many partitions, so a meter's readings stay in order.
  ...(env.VALIDATED_TOPIC === '' ? [] : [{ topic: env.VALIDATED_TOPIC, numPartitions: 12 }]),
]);
await applyTopicRetention(
  env.KAFKA_BROKERS,
  [
    { topic: env.READINGS_TOPIC, retentionHours: env.KAFKA_READINGS_RETENTION_HOURS },
    { topic: env.DLQ_TOPIC, retentionHours: env.KAFKA_DLQ_RETENTION_HOURS },
    ...(env.VALIDATED_TOPIC === ''
      ? []
      : [{ topic: env.VALIDATED_TOPIC, retentionHours: env.KAFKA_READINGS_RETENTION_HOURS }]),
  ],
  console.log,
);
console.log(
  `topics ready: ${[env.READINGS_TOPIC, env.DLQ_TOPIC, env.VALIDATED_TOPIC].filter((topic) => topic !== '').join(', ')}`,
);
