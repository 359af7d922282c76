import { randomUUID } from 'node:crypto';
import { type ConfigResourceTypes } from 'kafkajs';

/**
 * kafkajs's ConfigResourceTypes.TOPIC. The enum is a CommonJS export Node's ESM loader cannot name, so
 * the value is written here (the type keeps it honest).
 */
const TOPIC_RESOURCE: ConfigResourceTypes.TOPIC = 2;
import { afterAll, describe, expect, it } from 'vitest';
import { applyTopicRetention } from '../../../scripts/lib/kafka-retention';
import { env } from '../src/env';
import { createKafka, ensureTopics } from '../src/kafka';

const topic = `it-retention-${randomUUID().slice(0, 8)}`;
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'it-topic-retention' });

async function retentionMs(): Promise<string | undefined> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['retention.ms'] }],
    });
    return described.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')
      ?.configValue;
  } finally {
    await admin.disconnect();
  }
}

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();
});

describe('topic retention', () => {
  it('sets retention.ms on an existing topic, and changes it again when the setting changes', async () => {
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const said: string[] = [];
    await applyTopicRetention(env.KAFKA_BROKERS, [{ topic, retentionHours: 48 }], (line) => said.push(line));
    expect(await retentionMs()).toBe(String(48 * 3_600_000));
    await applyTopicRetention(env.KAFKA_BROKERS, [{ topic, retentionHours: 48 }], (line) => said.push(line));
    await applyTopicRetention(env.KAFKA_BROKERS, [{ topic, retentionHours: 720 }], (line) => said.push(line));
    expect(await retentionMs()).toBe(String(720 * 3_600_000));
    expect(said).toEqual([
      `topic ${topic}: retention.ms set to 48 hours`,
      `topic ${topic}: retention.ms set to 720 hours`,
    ]);
  });
});
