/**
 * The worker's Kafka client against a SCRAM-SHA-512 listener (a private broker, so the shared one is
 * not restarted): with the right credentials it creates a topic, produces and consumes; with a wrong
 * password or none it is refused.
 */
import { randomUUID } from 'node:crypto';
import { kafkaClientSecurity, kafkaSecurityEnv } from '@meterops/domain/transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBatchConsumer,
  createKafka,
  createProducer,
  ensureTopics,
  type KafkaBatch,
} from '../src/kafka';
import { startPrivateKafka, type PrivateKafka } from './private-kafka';

const user = { username: 'meterops-worker', password: 'scram-Secret.42' };
let broker: PrivateKafka;

beforeAll(async () => {
  broker = await startPrivateKafka(user);
}, 120_000);

afterAll(async () => {
  await broker?.stop();
});

/** The settings the worker's env.ts would parse from these variables. */
function securityFrom(variables: Record<string, string>) {
  return kafkaClientSecurity(kafkaSecurityEnv.parse(variables));
}

describe('Kafka with SASL/SCRAM-SHA-512', () => {
  it('consumes what was produced when the worker has the right credentials', async () => {
    const kafka = createKafka({
      brokers: [broker.scram],
      clientId: 'it-sasl',
      security: securityFrom({
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: user.username,
        KAFKA_SASL_PASSWORD: user.password,
      }),
    });
    const topic = `it.sasl.${randomUUID().slice(0, 8)}`;
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = await createProducer(kafka);
    await producer.send(topic, [{ key: 'MTR-1', value: 'over scram' }]);
    await producer.stop();

    const consumer = createBatchConsumer(kafka, {
      groupId: `it-sasl-${randomUUID()}`,
      topic,
      concurrency: 1,
    });
    const received = new Promise<KafkaBatch>((resolve) => {
      void consumer.run((batch) => {
        resolve(batch);
        return Promise.resolve(true);
      });
    });
    try {
      const batch = await received;
      expect(batch.messages.map((message) => message.value?.toString())).toEqual(['over scram']);
    } finally {
      await consumer.stop();
    }
  }, 60_000);

  it('is refused with a wrong password', async () => {
    const kafka = createKafka({
      brokers: [broker.scram],
      clientId: 'it-sasl-wrong',
      security: securityFrom({
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: user.username,
        KAFKA_SASL_PASSWORD: 'not the password',
      }),
    });
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toMatchObject({ name: 'KafkaJSSASLAuthenticationError' });
    await admin.disconnect();
  }, 60_000);

  it('is refused without credentials', async () => {
    const kafka = createKafka({
      brokers: [broker.scram],
      clientId: 'it-sasl-none',
      security: securityFrom({}),
    });
    const admin = kafka.admin();
    // The broker answers ApiVersions before authentication (so that a client can learn the SASL
    // versions); any request for data closes the connection.
    const refused = await admin
      .connect()
      .then(() => admin.listTopics())
      .then(
        (topics) => ({ topics }),
        (error: unknown) => error,
      );
    await admin.disconnect();
    expect(refused).toMatchObject({ name: 'KafkaJSConnectionClosedError' });
  }, 120_000);

  it('refuses SASL settings without a user, and TLS files without TLS', () => {
    expect(() => kafkaSecurityEnv.parse({ KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toThrow(
      /KAFKA_SASL_USERNAME/,
    );
    expect(() => kafkaSecurityEnv.parse({ KAFKA_SSL_CA_FILE: '/tmp/ca.pem' })).toThrow(/KAFKA_SSL=true/);
  });
});
