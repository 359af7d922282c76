/** What Postgres knows about the ingest pipeline's position, beside the metrics in InfluxDB. */
import { asc } from 'drizzle-orm';
import type { Db } from '../client';
import { ingestOffsets } from '../schema/index';

export interface IngestPositionRow {
  consumerGroup: string;
  topic: string;
  partition: number;
  /** The next Kafka offset ingest will apply; everything below it is in Postgres. */
  nextOffset: string;
  /** When the last batch of this partition was applied (the Postgres transaction committed). */
  updatedAt: Date;
}

/** Every consumer group's stored position per partition, as written in the ingest transaction. */
export async function ingestPositions(db: Db): Promise<IngestPositionRow[]> {
  const rows = await db
    .select()
    .from(ingestOffsets)
    .orderBy(asc(ingestOffsets.consumerGroup), asc(ingestOffsets.topic), asc(ingestOffsets.partition));
  return rows.map((row) => ({ ...row, nextOffset: row.nextOffset.toString() }));
}
