/** The quarantine: what producers sent that failed a hard rule, for the operations portal. */
import { and, count, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, Sql } from '../client';
import { rejectedReadings } from '../schema/index';

export interface RejectFilter {
  rule?: string;
  meterId?: string;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
}

export interface RejectedReadingRow {
  id: number;
  receivedAt: Date;
  rule: string;
  detail: string;
  meterId: string | null;
  intervalStart: Date | null;
  payload: string;
  topic: string;
  partition: number;
  kafkaOffset: number;
  /** Position of the reading in the message; -1 for a whole message. */
  itemIndex: number;
  kafkaTimestamp: Date | null;
  resolution: string;
}

function whereOf(filter: RejectFilter, options: { withRule: boolean }): SQL | undefined {
  return and(
    options.withRule && filter.rule !== undefined ? eq(rejectedReadings.rule, filter.rule) : undefined,
    filter.meterId !== undefined ? eq(rejectedReadings.meterId, filter.meterId) : undefined,
    filter.from !== undefined ? gte(rejectedReadings.receivedAt, filter.from) : undefined,
    filter.to !== undefined ? lt(rejectedReadings.receivedAt, filter.to) : undefined,
  );
}

/**
 * One page of rejections, newest first (by id, which follows the order they were stored), and how many
 * match the filter in all.
 */
export async function listRejectedReadings(
  db: Db,
  params: RejectFilter & { limit: number; offset: number },
): Promise<{ rows: RejectedReadingRow[]; total: number }> {
  const where = whereOf(params, { withRule: true });
  const [rows, totals] = await Promise.all([
    db
      .select({
        id: rejectedReadings.id,
        receivedAt: rejectedReadings.receivedAt,
        rule: rejectedReadings.rule,
        detail: rejectedReadings.detail,
        meterId: rejectedReadings.meterId,
        intervalStart: rejectedReadings.intervalStart,
        payload: rejectedReadings.payload,
        topic: rejectedReadings.topic,
        partition: rejectedReadings.partition,
        kafkaOffset: rejectedReadings.kafkaOffset,
        itemIndex: rejectedReadings.itemIndex,
        kafkaTimestamp: rejectedReadings.kafkaTimestamp,
        resolution: rejectedReadings.resolution,
      })
      .from(rejectedReadings)
      .where(where)
      .orderBy(desc(rejectedReadings.id))
      .limit(params.limit)
      .offset(params.offset),
    db.select({ total: count() }).from(rejectedReadings).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/**
 * Rejections per rule under the filter's meter and time range. The rule filter is left out on purpose,
 * so a list narrowed to one rule still shows how the others compare.
 */
export async function rejectedCountsByRule(
  db: Db,
  params: RejectFilter,
): Promise<{ rule: string; count: number }[]> {
  return db
    .select({ rule: rejectedReadings.rule, count: sql<number>`count(*)::int` })
    .from(rejectedReadings)
    .where(whereOf(params, { withRule: false }))
    .groupBy(rejectedReadings.rule)
    .orderBy(desc(sql`count(*)`), rejectedReadings.rule);
}

/**
 * Deletes rejected readings resolved (re-driven or dismissed) more than `days` days ago and already
 * copied to the dead-letter topic. Open ones stay whatever their age: nothing unresolved is lost.
 */
export async function pruneResolvedRejects(pg: Sql, params: { days: number }): Promise<number> {
  // Raw SQL on the postgres.js pool: the retention job runs where only that pool exists (the worker's jobs).
  const deleted = await pg`
    delete from rejected_readings
    where resolution <> 'open' and resolved_at < now() - make_interval(days => ${params.days})
      and dead_lettered_at is not null`;
  return deleted.count;
}
