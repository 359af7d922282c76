/**
 * retention.ms of the topics the stack creates. The broker default (7 days, log.retention.hours=168) is
 * a guess; these say why each topic keeps what it keeps:
 * - meter.readings: the replay window. A consumer outage or a reprocessing from Kafka must fit in it;
 *   Postgres holds every accepted reading long after, so the topic need not.
 * - meter.readings.dlq: rejects are in Postgres (rejected_readings, the outbox of this topic) too; the
 *   topic is for downstream tools, which get a month to read it.
 * Set only on a broker this stack runs; for a real cluster, see docs/operations.md ("Retention").
 */
import { type ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';

/**
 * kafkajs's ConfigResourceTypes.TOPIC. The enum is a CommonJS export Node's ESM loader cannot name, so
 * the value is written here (the type keeps it honest).
 */
const TOPIC_RESOURCE: ConfigResourceTypes.TOPIC = 2;

export const TOPIC_RETENTION_HOURS = { readings: 7 * 24, deadLetter: 30 * 24 } as const;

/**
 * Sets retention.ms on each topic whose current value differs. kafkajs speaks the (non-incremental)
 * AlterConfigs API, which resets a topic's other dynamic settings to the broker's defaults: the stack
 * sets none, so there are none to lose.
 */
export async function applyTopicRetention(
  brokers: string[],
  topics: { topic: string; retentionHours: number }[],
  say: (line: string) => void,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'meterops-stack-retention',
    brokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((t) => ({
        type: TOPIC_RESOURCE,
        name: t.topic,
        configNames: ['retention.ms'],
      })),
    });
    const current = new Map(
      described.resources.map((resource) => [
        resource.resourceName,
        resource.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue,
      ]),
    );
    const changes = topics.filter((t) => current.get(t.topic) !== String(t.retentionHours * 3_600_000));
    if (changes.length === 0) return;
    await admin.alterConfigs({
      validateOnly: false,
      resources: changes.map((t) => ({
        type: TOPIC_RESOURCE,
        name: t.topic,
        configEntries: [{ name: 'retention.ms', value: String(t.retentionHours * 3_600_000) }],
      })),
    });
    for (const t of changes) say(`topic ${t.topic}: retention.ms set to ${t.retentionHours} hours`);
  } finally {
    await admin.disconnect();
  }
}
