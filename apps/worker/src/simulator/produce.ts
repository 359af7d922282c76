import type { KafkaClient } from '../kafka';
import { createProducer } from '../kafka';
import type { SimulatedMessage } from './plan';

export interface ProduceProgress {
  messages: number;
  readings: number;
  elapsedMs: number;
}

/**
 * Sends messages in chunks, optionally held to `rate` readings per second. Resolves when the broker has
 * acknowledged every message (acks = all). One request in flight by default: concurrent requests may be
 * appended out of order, and a resend must land after the value it corrects.
 */
export async function produceMessages(
  kafka: KafkaClient,
  options: {
    topic: string;
    messages: Iterable<SimulatedMessage>;
    rate?: number;
    chunkSize?: number;
    inFlight?: number;
    onProgress?: (progress: ProduceProgress) => void;
  },
): Promise<ProduceProgress> {
  const producer = await createProducer(kafka);
  const chunkSize = options.chunkSize ?? 1000;
  const maxInFlight = options.inFlight ?? 1;
  const started = performance.now();
  const progress: ProduceProgress = { messages: 0, readings: 0, elapsedMs: 0 };
  const pending = new Set<Promise<void>>();
  let chunk: SimulatedMessage[] = [];
  let lastReport = 0;

  const flush = async () => {
    if (chunk.length === 0) return;
    const toSend = chunk;
    chunk = [];
    const request = producer
      .send(
        options.topic,
        toSend.map((message) => ({ key: message.key, value: message.value })),
      )
      .then(() => {
        progress.messages += toSend.length;
        progress.readings += toSend.reduce((sum, message) => sum + message.readings, 0);
        progress.elapsedMs = performance.now() - started;
        if (options.onProgress && progress.elapsedMs - lastReport >= 1_000) {
          lastReport = progress.elapsedMs;
          options.onProgress({ ...progress });
        }
      });
    pending.add(request);
    void request.finally(() => pending.delete(request)).catch(() => {});
    if (pending.size >= maxInFlight) await Promise.race(pending);
  };

  try {
    let queuedReadings = 0;
    for (const message of options.messages) {
      chunk.push(message);
      queuedReadings += message.readings;
      if (chunk.length >= chunkSize) await flush();
      if (options.rate) {
        const aheadMs = (queuedReadings / options.rate) * 1000 - (performance.now() - started);
        if (aheadMs > 5) {
          await flush();
          await new Promise((resolve) => setTimeout(resolve, aheadMs));
        }
      }
    }
    await flush();
    await Promise.all(pending);
  } finally {
    await producer.stop();
  }
  progress.elapsedMs = performance.now() - started;
  options.onProgress?.({ ...progress });
  return progress;
}
