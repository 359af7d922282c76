/**
 * The quarantine: what producers sent that failed a hard rule, for the operations portal; and its
 * resolution (re-drive or dismissal), the one place rejected_readings.resolution is written.
 */
import { and, asc, count, desc, eq, gte, inArray, lt, sql, type SQL } from 'drizzle-orm';
import { buildRedriveMessages, slicesForPublishing, type RedriveMessage } from '@meterops/domain/redrive';
import type { Db, Sql } from '../client';
import { rejectedReadings } from '../schema/index';

export const rejectResolutions = ['open', 'redriven', 'dismissed'] as const;
export type RejectResolution = (typeof rejectResolutions)[number];

/** Which rejects an action applies to; it only ever touches the open ones among them. */
export interface RejectSelection {
  rule?: string;
  meterId?: string;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
}

export interface RejectFilter extends RejectSelection {
  resolution?: RejectResolution;
}

/** Rejects one re-drive or dismissal resolves at most; the caller runs it again for the rest. */
export const MAX_REJECTS_PER_ACTION = 10_000;
/**
 * Rejects claimed and published per transaction. Bounds memory (a whole-message payload can be ~110 kB)
 * and how long row locks are held while Kafka acknowledges.
 */
const REDRIVE_CHUNK = 500;

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
  /** A user id, or `cli:<name>`, as corrections record their actor. */
  resolvedBy: string | null;
  resolvedAt: Date | null;
  resolutionNote: string | null;
}

function whereOf(filter: RejectFilter, options: { withRule: boolean }): SQL | undefined {
  return and(
    options.withRule && filter.rule !== undefined ? eq(rejectedReadings.rule, filter.rule) : undefined,
    filter.meterId !== undefined ? eq(rejectedReadings.meterId, filter.meterId) : undefined,
    filter.from !== undefined ? gte(rejectedReadings.receivedAt, filter.from) : undefined,
    filter.to !== undefined ? lt(rejectedReadings.receivedAt, filter.to) : undefined,
    filter.resolution !== undefined ? eq(rejectedReadings.resolution, filter.resolution) : undefined,
  );
}

/** The open rejects of a selection: what a re-drive or dismissal would touch. */
function openOf(selection: RejectSelection): SQL | undefined {
  const { rule, meterId, from, to } = selection;
  return whereOf({ rule, meterId, from, to, resolution: 'open' }, { withRule: true });
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
        resolvedBy: rejectedReadings.resolvedBy,
        resolvedAt: rejectedReadings.resolvedAt,
        resolutionNote: rejectedReadings.resolutionNote,
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

/** How many open rejects a re-drive or dismissal of this selection would touch (the dry run). */
export async function countOpenRejects(db: Db, selection: RejectSelection): Promise<number> {
  const [row] = await db.select({ total: count() }).from(rejectedReadings).where(openOf(selection));
  return row?.total ?? 0;
}

/**
 * Open rejects of the selection, oldest first, locked for this transaction. Rows another transaction
 * holds are skipped rather than waited for: two operators re-driving one selection at once split it,
 * and `resolution = 'open'` in the update keeps a row from being resolved twice whatever the timing.
 */
function claimable(db: Pick<Db, 'select'>, selection: RejectSelection, limit: number) {
  return db
    .select({ id: rejectedReadings.id })
    .from(rejectedReadings)
    .where(openOf(selection))
    .orderBy(asc(rejectedReadings.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export interface RedriveProgress {
  redriven: number;
  messages: number;
}

export interface RedriveOutcome extends RedriveProgress {
  /** Open rejects of the selection left after this action (beyond its limit, or added meanwhile). */
  remaining: number;
}

/**
 * Re-drives the open rejects of a selection, at most `limit`: each chunk is claimed (marked 'redriven'
 * with who and when) and published in one transaction, so a failed publish rolls the chunk back and its
 * rejects stay open. A chunk is committed only after Kafka acknowledged every message of it; should the
 * commit itself fail after that, the chunk stays open and a later re-drive sends it again, which ingest
 * absorbs (the same value for the same interval is a no-op). No reject is ever claimed twice.
 */
export async function redriveRejects(
  db: Db,
  params: RejectSelection & {
    actor: string;
    note?: string;
    limit?: number;
    publish: (messages: RedriveMessage[]) => Promise<void>;
    onProgress?: (progress: RedriveProgress) => void;
  },
): Promise<RedriveOutcome> {
  const { actor, note, publish, onProgress, limit = MAX_REJECTS_PER_ACTION, ...selection } = params;
  const progress: RedriveProgress = { redriven: 0, messages: 0 };
  while (progress.redriven < limit) {
    const claimed = await db.transaction(async (tx) => {
      const rows = await tx
        .update(rejectedReadings)
        .set({
          resolution: 'redriven',
          resolvedBy: actor,
          resolvedAt: sql`now()`,
          resolutionNote: note ?? null,
        })
        .where(
          and(
            eq(rejectedReadings.resolution, 'open'),
            inArray(
              rejectedReadings.id,
              claimable(tx, selection, Math.min(REDRIVE_CHUNK, limit - progress.redriven)),
            ),
          ),
        )
        .returning({
          id: rejectedReadings.id,
          itemIndex: rejectedReadings.itemIndex,
          meterId: rejectedReadings.meterId,
          messageKey: rejectedReadings.messageKey,
          payload: rejectedReadings.payload,
          payloadBytes: rejectedReadings.payloadBytes,
        });
      const messages = buildRedriveMessages(rows, { actor });
      for (const slice of slicesForPublishing(messages)) await publish(slice);
      return { rejects: rows.length, messages: messages.length };
    });
    if (claimed.rejects === 0) break;
    progress.redriven += claimed.rejects;
    progress.messages += claimed.messages;
    onProgress?.({ ...progress });
  }
  return { ...progress, remaining: await countOpenRejects(db, selection) };
}

/** Dismisses the open rejects of a selection, at most `limit`, recording who, when and why. */
export async function dismissRejects(
  db: Db,
  params: RejectSelection & { actor: string; reason: string; limit?: number },
): Promise<{ dismissed: number; remaining: number }> {
  const { actor, reason, limit = MAX_REJECTS_PER_ACTION, ...selection } = params;
  const rows = await db.transaction((tx) =>
    tx
      .update(rejectedReadings)
      .set({ resolution: 'dismissed', resolvedBy: actor, resolvedAt: sql`now()`, resolutionNote: reason })
      .where(
        and(
          eq(rejectedReadings.resolution, 'open'),
          inArray(rejectedReadings.id, claimable(tx, selection, limit)),
        ),
      )
      .returning({ id: rejectedReadings.id }),
  );
  return { dismissed: rows.length, remaining: await countOpenRejects(db, selection) };
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

export interface RejectRate {
  rule: string;
  /** Rejects received in [windowStart, now). */
  inWindow: number;
  /** Rejects received in [baselineStart, windowStart), the rule's usual rate. */
  inBaseline: number;
}

/** Rejects per VEE rule in the recent window and in the baseline before it, for the alert rule. */
export async function rejectRatesByRule(
  pg: Sql,
  params: { baselineStart: Date; windowStart: Date; now: Date },
): Promise<RejectRate[]> {
  return pg<RejectRate[]>`
    select rule,
           count(*) filter (where received_at >= ${params.windowStart})::int as "inWindow",
           count(*) filter (where received_at < ${params.windowStart})::int as "inBaseline"
    from rejected_readings
    where received_at >= ${params.baselineStart} and received_at < ${params.now}
    group by rule order by rule`;
}
