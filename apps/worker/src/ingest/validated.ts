/**
 * The validated-readings topic (docs/message-contract.md, "Output: meter.readings.validated"): readings
 * ingest accepted and stored, new versions included, with their quality and version, one message per
 * meter and batch, keyed by meter id like the input. Sent after the Postgres transaction commits and
 * before the batch's Kafka offset is committed, so each stored reading is published at least once.
 */
import type { ValidatedReading } from '@meterops/db/queries/ingest';
import type { OutgoingMessage } from '../kafka';

/** One validated message: a meter's readings of one ingest batch, in interval order. */
export interface ValidatedReadingsMessage {
  meterId: string;
  readings: {
    intervalStart: string;
    /** kWh as a JSON number with at most 4 decimals, as in the input contract. */
    kwh: number;
    quality: ValidatedReading['quality'];
    /** 1 for the first value of the interval; each change (resend, estimate replaced, edit) adds 1. */
    version: number;
    /** Soft-rule flags awaiting review; empty when clean. */
    flags: readonly string[];
  }[];
}

/** Keeps each produce request's record batch under the broker's default 1 MB message limit. */
const MAX_CHUNK_BYTES = 768 * 1024;

/** The batch's readings as messages, one per meter, split into chunks to send one after another. */
export function validatedMessageChunks(readings: readonly ValidatedReading[]): OutgoingMessage[][] {
  const byMeter = new Map<string, ValidatedReading[]>();
  for (const reading of readings) {
    let list = byMeter.get(reading.meterId);
    if (list === undefined) byMeter.set(reading.meterId, (list = []));
    list.push(reading);
  }
  const chunks: OutgoingMessage[][] = [];
  let chunk: OutgoingMessage[] = [];
  let bytes = 0;
  for (const [meterId, list] of byMeter) {
    list.sort((a, b) => a.intervalStart.getTime() - b.intervalStart.getTime());
    const message: ValidatedReadingsMessage = {
      meterId,
      readings: list.map((reading) => ({
        intervalStart: reading.intervalStart.toISOString(),
        kwh: Number(reading.kwh),
        quality: reading.quality,
        version: reading.version,
        flags: reading.flags,
      })),
    };
    const value = JSON.stringify(message);
    if (bytes + value.length > MAX_CHUNK_BYTES && chunk.length > 0) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push({ key: meterId, value });
    bytes += value.length;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
