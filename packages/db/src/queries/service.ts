/**
 * Read side of customer service: finding a customer or meter, a meter's day of intervals with their
 * quality and flags, the revision history, and the queue of readings whose soft flags await review.
 * Corrections themselves are the batch layer's (`correctReading` in ./corrections).
 */
import { intervalStartsOfLocalDay, localDayBounds } from '@meterops/domain/time';
import type { Sql } from '../client';

export type ReadingQuality = 'actual' | 'estimated' | 'edited';
export type AggregateStatus = 'provisional' | 'final';

export interface SearchHit {
  meterId: string | null;
  meterStatus: 'active' | 'inactive' | 'removed' | null;
  region: string | null;
  segment: 'residential' | 'commercial';
  customerId: string;
  customerName: string;
  customerEmail: string | null;
  /** What matched, best first: an exact id, an id prefix, then name or email. */
  match: 'meter_id' | 'customer_id' | 'name' | 'email';
}

/** `%` and `_` typed by a person are literal characters, not wildcards. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Customers and their meters whose meter id or customer id starts with the query, or whose name or email
 * contains it (case-insensitive). A customer without meters is listed once with a null meter.
 */
export async function searchCustomersAndMeters(
  sql: Sql,
  params: { query: string; limit: number },
): Promise<SearchHit[]> {
  const query = params.query.trim();
  if (query === '') return [];
  const prefix = `${likeEscape(query)}%`;
  const contains = `%${likeEscape(query)}%`;
  return sql<SearchHit[]>`
    with matched as (
      select c.id, 0 as rank, 'customer_id' as match from customers c where c.id ilike ${prefix}
      union all
      select m.customer_id, case when m.id ilike ${likeEscape(query)} then -1 else 1 end, 'meter_id'
      from meters m where m.id ilike ${prefix}
      union all
      select c.id, 2, 'name' from customers c where c.name ilike ${contains}
      union all
      select c.id, 3, 'email' from customers c where c.email ilike ${contains}
    ),
    best as (
      select distinct on (id) id, rank, match from matched order by id, rank
    )
    select m.id as "meterId", m.status as "meterStatus", coalesce(m.region, c.region) as region,
           coalesce(m.segment, c.segment) as segment, c.id as "customerId", c.name as "customerName",
           c.email as "customerEmail", b.match
    from best b
    join customers c on c.id = b.id
    left join meters m on m.customer_id = c.id
    order by b.rank, c.id, m.id
    limit ${params.limit}`;
}

export interface MeterSummary {
  id: string;
  status: 'active' | 'inactive' | 'removed';
  region: string;
  segment: 'residential' | 'commercial';
  tariffId: string;
  intervalMinutes: number;
  timeZone: string;
  maxKwhPerInterval: number;
  installedAt: Date;
  removedAt: Date | null;
  customer: { id: string; name: string; email: string | null };
  /** First and last local day with a daily aggregate; null without data. */
  firstDay: string | null;
  lastDay: string | null;
}

export async function getMeterSummary(sql: Sql, params: { meterId: string }): Promise<MeterSummary | null> {
  const [row] = await sql<
    (Omit<MeterSummary, 'customer'> & {
      customerId: string;
      customerName: string;
      customerEmail: string | null;
    })[]
  >`
    select m.id, m.status, m.region, m.segment, m.tariff_id as "tariffId", m.interval_minutes as "intervalMinutes",
           m.time_zone as "timeZone", m.max_kwh_per_interval::float8 as "maxKwhPerInterval",
           m.installed_at as "installedAt", m.removed_at as "removedAt",
           c.id as "customerId", c.name as "customerName", c.email as "customerEmail",
           (select to_char(min(day), 'YYYY-MM-DD') from meter_usage_daily where meter_id = m.id) as "firstDay",
           (select to_char(max(day), 'YYYY-MM-DD') from meter_usage_daily where meter_id = m.id) as "lastDay"
    from meters m join customers c on c.id = m.customer_id
    where m.id = ${params.meterId}`;
  if (row === undefined) return null;
  const { customerId, customerName, customerEmail, ...meter } = row;
  return { ...meter, customer: { id: customerId, name: customerName, email: customerEmail } };
}

export interface MeterDayRow {
  day: string;
  kwh: string;
  status: AggregateStatus;
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
  /** Flagged readings as of the last batch run; the day view counts the current flags. */
  flagged: number;
  computedAt: Date;
  finalizedAt: Date | null;
  finalVersion: number;
}

/** The meter's daily rows over [from, to], oldest first: the strip of days an agent steps through. */
export async function meterDays(
  sql: Sql,
  params: { meterId: string; from: string; to: string },
): Promise<MeterDayRow[]> {
  return sql<MeterDayRow[]>`
    select to_char(day, 'YYYY-MM-DD') as day, kwh::text as kwh, status, expected_intervals as expected,
           actual_intervals as actual, estimated_intervals as estimated, edited_intervals as edited,
           flagged_intervals as flagged, computed_at as "computedAt", finalized_at as "finalizedAt",
           final_version as "finalVersion"
    from meter_usage_daily
    where meter_id = ${params.meterId} and day between ${params.from}::date and ${params.to}::date
    order by day`;
}

export interface ServiceInterval {
  intervalStart: Date;
  /** Null for a missing interval. */
  kwh: string | null;
  quality: ReadingQuality | null;
  estimationMethod: string | null;
  /** Soft-rule names awaiting review. */
  flags: string[];
  /** 'meter', 'estimation' or the user id of the agent who edited it. */
  source: string | null;
  version: number | null;
  receivedAt: Date | null;
  revisedAt: Date | null;
  /** Rows of reading_revisions for the interval. */
  revisions: number;
}

/**
 * Every expected interval of a meter's local day (missing ones too) and the day's aggregate row.
 * `archived` carries the readings and revision interval starts of months whose partition was archived
 * (read by the caller from @meterops/archive); Postgres no longer holds them.
 */
export async function meterDayIntervals(
  sql: Sql,
  params: {
    meter: { id: string; timeZone: string; intervalMinutes: number };
    day: string;
    archived?: { readings: Omit<ServiceInterval, 'revisions'>[]; revisionStarts: Date[] };
  },
): Promise<{ intervals: ServiceInterval[]; aggregate: MeterDayRow | null }> {
  const { meter, day } = params;
  const bounds = localDayBounds(day, meter.timeZone);
  const start = new Date(bounds.startMs);
  const end = new Date(bounds.endMs);
  const [readings, revisions, aggregates] = await Promise.all([
    sql<Omit<ServiceInterval, 'revisions'>[]>`
      select interval_start as "intervalStart", kwh::text as kwh, quality, estimation_method as "estimationMethod",
             flags, source, version, received_at as "receivedAt", revised_at as "revisedAt"
      from readings
      where meter_id = ${meter.id} and interval_start >= ${start} and interval_start < ${end}
      order by interval_start`,
    sql<{ intervalStart: Date; count: number }[]>`
      select interval_start as "intervalStart", count(*)::int as count
      from reading_revisions
      where meter_id = ${meter.id} and interval_start >= ${start} and interval_start < ${end}
      group by interval_start`,
    meterDays(sql, { meterId: meter.id, from: day, to: day }),
  ]);
  // Postgres last: a reading that arrived after its month was archived (its partition came back) wins.
  const byStart = new Map(
    [...(params.archived?.readings ?? []), ...readings].map((reading) => [
      reading.intervalStart.getTime(),
      reading,
    ]),
  );
  const revisionCounts = new Map(revisions.map((row) => [row.intervalStart.getTime(), row.count]));
  for (const at of params.archived?.revisionStarts ?? [])
    revisionCounts.set(at.getTime(), (revisionCounts.get(at.getTime()) ?? 0) + 1);
  const starts = new Set(intervalStartsOfLocalDay(day, meter.timeZone, meter.intervalMinutes));
  for (const at of byStart.keys()) starts.add(at);
  const intervals = [...starts]
    .sort((a, b) => a - b)
    .map((at): ServiceInterval => {
      const reading = byStart.get(at);
      const count = revisionCounts.get(at) ?? 0;
      if (reading !== undefined) return { ...reading, revisions: count };
      return {
        intervalStart: new Date(at),
        kwh: null,
        quality: null,
        estimationMethod: null,
        flags: [],
        source: null,
        version: null,
        receivedAt: null,
        revisedAt: null,
        revisions: count,
      };
    });
  return { intervals, aggregate: aggregates[0] ?? null };
}

export interface RevisionRow {
  id: number;
  intervalStart: Date;
  oldKwh: string | null;
  newKwh: string;
  oldQuality: ReadingQuality | null;
  newQuality: ReadingQuality;
  oldVersion: number | null;
  newVersion: number;
  source: 'meter_resend' | 'agent' | 'estimation' | 'reprocess' | 'review';
  reason: string;
  /** A user id or a process name. */
  actor: string;
  /** The user's name when the actor is a user. */
  actorName: string | null;
  createdAt: Date;
}

/**
 * The revision history of a meter over [from, to) (a day) or of one interval, newest first, with the
 * names of the people behind it.
 */
export async function listRevisions(
  sql: Sql,
  params: { meterId: string; from: Date; to: Date; intervalStart?: Date; limit: number },
): Promise<RevisionRow[]> {
  return sql<RevisionRow[]>`
    select v.id::int as id, v.interval_start as "intervalStart", v.old_kwh::text as "oldKwh", v.new_kwh::text as "newKwh",
           v.old_quality as "oldQuality", v.new_quality as "newQuality", v.old_version as "oldVersion",
           v.new_version as "newVersion", v.source, v.reason, v.actor, u.name as "actorName", v.created_at as "createdAt"
    from reading_revisions v
    left join users u on u.id::text = v.actor
    where v.meter_id = ${params.meterId} and v.interval_start >= ${params.from} and v.interval_start < ${params.to}
      ${params.intervalStart === undefined ? sql`` : sql`and v.interval_start = ${params.intervalStart}`}
    order by v.created_at desc, v.id desc
    limit ${params.limit}`;
}

export interface ReviewItem {
  meterId: string;
  intervalStart: Date;
  kwh: string;
  quality: ReadingQuality;
  flags: string[];
  version: number;
  receivedAt: Date;
  region: string;
  customerId: string;
  customerName: string;
  timeZone: string;
}

/**
 * Readings carrying soft flags, newest interval first, received in [from, to) of interval start. The
 * interval range keeps the scan to the partitions and block ranges (BRIN) of those days.
 */
export async function reviewQueue(
  sql: Sql,
  params: { from: Date; to: Date; rule?: string; region?: string; limit: number; offset: number },
): Promise<{ total: number; rows: ReviewItem[]; byRule: { rule: string; count: number }[] }> {
  const filters = sql`
    r.flags <> '{}' and r.interval_start >= ${params.from} and r.interval_start < ${params.to}
    ${params.rule === undefined ? sql`` : sql`and ${params.rule} = any(r.flags)`}
    ${params.region === undefined ? sql`` : sql`and m.region = ${params.region}`}`;
  const [rows, totals, byRule] = await Promise.all([
    sql<ReviewItem[]>`
      select r.meter_id as "meterId", r.interval_start as "intervalStart", r.kwh::text as kwh, r.quality, r.flags,
             r.version, r.received_at as "receivedAt", m.region, c.id as "customerId", c.name as "customerName",
             m.time_zone as "timeZone"
      from readings r join meters m on m.id = r.meter_id join customers c on c.id = m.customer_id
      where ${filters}
      order by r.interval_start desc, r.meter_id
      limit ${params.limit} offset ${params.offset}`,
    sql<{ total: number }[]>`
      select count(*)::int as total from readings r join meters m on m.id = r.meter_id where ${filters}`,
    sql<{ rule: string; count: number }[]>`
      select flag as rule, count(*)::int as count
      from readings r join meters m on m.id = r.meter_id cross join lateral unnest(r.flags) as flag
      where r.flags <> '{}' and r.interval_start >= ${params.from} and r.interval_start < ${params.to}
        ${params.region === undefined ? sql`` : sql`and m.region = ${params.region}`}
      group by flag order by count(*) desc, flag`,
  ]);
  return { total: totals[0]?.total ?? 0, rows, byRule };
}

/** Names of the users among `actors` (user ids beside process names such as 'job:reprocess'). */
export async function userNames(
  sql: Sql,
  params: { actors: readonly string[] },
): Promise<Map<string, string>> {
  const ids = [...new Set(params.actors)].filter((actor) => /^[0-9a-f-]{36}$/i.test(actor));
  if (ids.length === 0) return new Map();
  const rows = await sql<
    { id: string; name: string }[]
  >`select id::text as id, name from users where id = any(${ids}::uuid[])`;
  return new Map(rows.map((row) => [row.id, row.name]));
}

export type ReviewOutcome =
  | { kind: 'accepted'; version: number; revisionId: number; flags: string[] }
  | { kind: 'not_found' }
  | { kind: 'not_flagged' }
  | { kind: 'stale'; version: number };

/**
 * Accepts a flagged reading as it is: its soft flags are cleared, its version goes up by one and a
 * reading_revisions row (source 'review', same value and quality) records who accepted which flags and
 * why. `expectedVersion` guards against accepting a value that changed since the agent looked at it. The
 * kWh does not change, so no aggregate moves; a final day's count of flagged readings goes down by one.
 */
export async function acceptFlaggedReading(
  sql: Sql,
  params: { meterId: string; intervalStart: Date; expectedVersion: number; reason: string; actor: string },
): Promise<ReviewOutcome> {
  return sql.begin(async (tx) => {
    const [reading] = await tx<
      { kwh: string; quality: ReadingQuality; version: number; flags: string[]; timeZone: string }[]
    >`
      select r.kwh::text as kwh, r.quality, r.version, r.flags, m.time_zone as "timeZone"
      from readings r join meters m on m.id = r.meter_id
      where r.meter_id = ${params.meterId} and r.interval_start = ${params.intervalStart}
      for update of r`;
    if (reading === undefined) return { kind: 'not_found' } as const;
    if (reading.version !== params.expectedVersion)
      return { kind: 'stale', version: reading.version } as const;
    if (reading.flags.length === 0) return { kind: 'not_flagged' } as const;
    const version = reading.version + 1;
    await tx`
      update readings set flags = '{}', version = ${version}, revised_at = now()
      where meter_id = ${params.meterId} and interval_start = ${params.intervalStart}`;
    const [revision] = await tx<{ id: number }[]>`
      insert into reading_revisions
        (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor)
      values (${params.meterId}, ${params.intervalStart}, ${reading.kwh}, ${reading.kwh}, ${reading.quality}, ${reading.quality},
              ${reading.version}, ${version}, 'review', ${`Accepted ${reading.flags.join(', ')}: ${params.reason}`}, ${params.actor})
      returning id::int as id`;
    await tx`
      update meter_usage_daily set flagged_intervals = greatest(flagged_intervals - 1, 0)
      where meter_id = ${params.meterId}
        and day = (${params.intervalStart}::timestamptz at time zone ${reading.timeZone})::date
        and status = 'final'`;
    if (revision === undefined) throw new Error('the review revision was not written');
    return { kind: 'accepted', version, revisionId: revision.id, flags: reading.flags } as const;
  });
}

export interface EstimateBasis {
  /** The interpolated kWh, 4 decimals. */
  kwh: string;
  before: { intervalStart: Date; kwh: string };
  after: { intervalStart: Date; kwh: string };
}

/**
 * The value linear interpolation gives an interval from the nearest unflagged, non-estimated readings of
 * the meter on either side within `maxGapMinutes`; null when one side has none.
 */
export async function interpolationNeighbours(
  sql: Sql,
  params: { meterId: string; intervalStart: Date; maxGapMinutes: number },
): Promise<{
  before: { intervalStart: Date; kwh: string };
  after: { intervalStart: Date; kwh: string };
} | null> {
  const window = params.maxGapMinutes * 60_000;
  const [before, after] = await Promise.all([
    sql<{ intervalStart: Date; kwh: string }[]>`
      select interval_start as "intervalStart", kwh::text as kwh from readings
      where meter_id = ${params.meterId} and interval_start < ${params.intervalStart}
        and interval_start >= ${new Date(params.intervalStart.getTime() - window)}
        and flags = '{}' and quality <> 'estimated'
      order by interval_start desc limit 1`,
    sql<{ intervalStart: Date; kwh: string }[]>`
      select interval_start as "intervalStart", kwh::text as kwh from readings
      where meter_id = ${params.meterId} and interval_start > ${params.intervalStart}
        and interval_start <= ${new Date(params.intervalStart.getTime() + window)}
        and flags = '{}' and quality <> 'estimated'
      order by interval_start limit 1`,
  ]);
  const first = before[0];
  const last = after[0];
  return first === undefined || last === undefined ? null : { before: first, after: last };
}
