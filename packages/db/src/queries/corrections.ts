/**
 * Audited manual corrections of readings by customer-service agents, and what each one changed
 * downstream. A correction is a new version of the reading (quality 'edited', source = the agent) with a
 * reading_revisions row giving the old and new value, the agent and the mandatory reason; the history
 * itself can never be changed (the database refuses UPDATE, DELETE and TRUNCATE on it).
 */
import { formatKwh, kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { formatInstant, isAlignedToInterval, localDay, MINUTE_MS } from '@meterops/domain/time';
import type { TransactionSql } from 'postgres';
import { dayExpectations, type RaisedAlert } from '../batch/engine';
import { publishBillingAlertsRaised } from '../batch/events';
import type { Sql } from '../client';
import { reprocessKeys } from './batch';
import { publishEvent } from './webhooks';

/** A reason shorter than this is refused: the history has to say why a meter value was overridden. */
export const MIN_CORRECTION_REASON_LENGTH = 10;

export class CorrectionError extends Error {
  override name = 'CorrectionError';
  constructor(
    /** Which input is wrong: 'reason', 'kwh', 'intervalStart', 'meterId'. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CorrectReadingInput {
  meterId: string;
  intervalStart: Date | string;
  /** New value in kWh: a number with at most 4 decimals, or the exact decimal text. */
  kwh: number | string;
  reason: string;
  /** The agent's user id; becomes the reading's source and the revision's actor. */
  actor: string;
}

export interface ReadingVersion {
  kwh: string;
  quality: 'actual' | 'estimated' | 'edited';
  version: number;
  source: string;
}

export interface AggregateChange {
  level: 'hourly' | 'daily' | 'dimension' | 'settlement';
  /** 'MTR-000001 2026-11-20T10:00:00Z', 'region london 2026-11-20', 'london 2026-11-20T10:00:00Z'. */
  key: string;
  kwhBefore: string | null;
  kwhAfter: string | null;
  statusBefore: 'provisional' | 'final' | null;
  statusAfter: 'provisional' | 'final' | null;
}

export interface CorrectionResult {
  meterId: string;
  intervalStart: string;
  /** The meter's local day of the interval. */
  day: string;
  /** False when the reading already had this edited value; nothing was written. */
  changed: boolean;
  before: ReadingVersion | null;
  after: ReadingVersion;
  revisionId: number | null;
  /** Status of the day when the correction was made: provisional rows were updated in the same transaction, a final day was reprocessed. */
  dayStatus: 'provisional' | 'final';
  /** For a final day: whether the reprocessing ran (if not, the key waits in reprocess_queue). */
  reprocessed: boolean;
  /** Every aggregate row the correction moved, before and after. */
  aggregates: AggregateChange[];
  alerts: RaisedAlert[];
}

interface MeterRow {
  id: string;
  customerId: string;
  region: string;
  segment: string;
  tariffId: string;
  intervalMinutes: number;
  timeZone: string;
  maxKwhPerInterval: string;
  status: 'active' | 'inactive' | 'removed';
  installedAt: Date;
  removedAt: Date | null;
}

/**
 * Corrects one interval reading (or fills a missing one) and carries the change through: on a
 * provisional day the hourly, daily, dimension and settlement rows move by the difference in the same
 * transaction; on a final day the (meter, day) key is queued and reprocessed at once. Either way a change
 * inside an invoiced billing period raises a billing alert. Returns what changed downstream.
 */
export async function correctReading(sql: Sql, input: CorrectReadingInput): Promise<CorrectionResult> {
  const reason = input.reason.trim();
  if (reason.length < MIN_CORRECTION_REASON_LENGTH) {
    throw new CorrectionError(
      'reason',
      `a correction needs a reason of at least ${MIN_CORRECTION_REASON_LENGTH} characters`,
    );
  }
  if (input.actor.trim().length === 0) throw new CorrectionError('actor', 'a correction needs an actor');
  const kwh = parseKwh(input.kwh);
  const startMs =
    typeof input.intervalStart === 'string' ? Date.parse(input.intervalStart) : input.intervalStart.getTime();
  if (!Number.isFinite(startMs))
    throw new CorrectionError('intervalStart', 'intervalStart is not an instant');

  for (let attempt = 1; ; attempt++) {
    try {
      return await correctOnce(sql, { ...input, reason, kwh, startMs });
    } catch (error) {
      const code = (error as { code?: string }).code;
      // A finalize chunk may hold the same rows in the other order; the database picks a loser, and it retries.
      if ((code === '40P01' || code === '40001') && attempt < 3) continue;
      throw error;
    }
  }
}

async function correctOnce(
  sql: Sql,
  input: CorrectReadingInput & { kwh: string; startMs: number; reason: string },
): Promise<CorrectionResult> {
  const [meter] = await sql<MeterRow[]>`
    select id, customer_id as "customerId", region, segment::text as segment, tariff_id as "tariffId",
           interval_minutes as "intervalMinutes", time_zone as "timeZone", max_kwh_per_interval::text as "maxKwhPerInterval",
           status, installed_at as "installedAt", removed_at as "removedAt"
    from meters where id = ${input.meterId}`;
  if (meter === undefined) throw new CorrectionError('meterId', `meter "${input.meterId}" is not registered`);
  const { startMs } = input;
  const endMs = startMs + meter.intervalMinutes * MINUTE_MS;
  if (!isAlignedToInterval(startMs, meter.intervalMinutes, meter.timeZone)) {
    throw new CorrectionError(
      'intervalStart',
      `${formatInstant(startMs)} is not on the meter's ${meter.intervalMinutes}-minute grid in ${meter.timeZone}`,
    );
  }
  if (
    endMs <= meter.installedAt.getTime() ||
    (meter.removedAt !== null && startMs >= meter.removedAt.getTime())
  ) {
    throw new CorrectionError(
      'intervalStart',
      `the meter was not installed during ${formatInstant(startMs)}`,
    );
  }
  if (endMs > Date.now())
    throw new CorrectionError('intervalStart', `${formatInstant(startMs)} has not ended yet`);
  if (kwhToUnits(input.kwh) > kwhToUnits(meter.maxKwhPerInterval)) {
    throw new CorrectionError(
      'kwh',
      `${input.kwh} kWh exceeds the meter's maximum of ${meter.maxKwhPerInterval} kWh per interval`,
    );
  }
  const day = localDay(startMs, meter.timeZone);
  const intervalStart = new Date(startMs).toISOString();

  const outcome = await sql.begin(async (tx) => {
    const before = await snapshotAggregates(tx, meter, day, startMs);
    const [previous] = await tx<ReadingVersion[]>`
      select kwh::text as kwh, quality, version, source from readings
      where meter_id = ${meter.id} and interval_start = ${intervalStart}
      for update`;
    if (previous !== undefined && previous.quality === 'edited' && previous.kwh === input.kwh) {
      return { changed: false as const, previous, before };
    }
    const [written] = await tx<ReadingVersion[]>`
      insert into readings as r (meter_id, interval_start, kwh, quality, source, version, received_at)
      values (${meter.id}, ${intervalStart}, ${input.kwh}, 'edited', ${input.actor}, 1, now())
      on conflict (meter_id, interval_start) do update
        set kwh = excluded.kwh, quality = 'edited', source = excluded.source, estimation_method = null,
            flags = '{}', version = r.version + 1, revised_at = now(), received_at = now()
      returning kwh::text as kwh, quality, version, source`;
    if (written === undefined) throw new Error('the corrected reading was not written');
    const [revision] = await tx<{ id: number }[]>`
      insert into reading_revisions
        (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor)
      values (${meter.id}, ${intervalStart}, ${previous?.kwh ?? null}, ${written.kwh}, ${previous?.quality ?? null},
              'edited', ${previous?.version ?? null}, ${written.version}, 'agent', ${input.reason}, ${input.actor})
      returning id`;
    await publishEvent(tx, {
      type: 'reading.corrected',
      data: {
        meterId: meter.id,
        intervalStart,
        day,
        kwhBefore: previous?.kwh ?? null,
        qualityBefore: previous?.quality ?? null,
        kwhAfter: written.kwh,
        version: written.version,
        // bigint ids arrive as text from postgres.js.
        revisionId: revision === undefined ? null : Number(revision.id),
        actor: input.actor,
        reason: input.reason,
      },
    });

    const [daily] = await tx<{ status: 'provisional' | 'final' }[]>`
      select status from meter_usage_daily where meter_id = ${meter.id} and day = ${day}::date for update`;
    if (daily?.status === 'final') {
      await tx`
        insert into reprocess_queue (meter_id, day, reason)
        values (${meter.id}, ${day}::date, ${`reading corrected by ${input.actor}`})
        on conflict (meter_id, day) do update set reason = excluded.reason, requested_at = now()`;
      return {
        changed: true as const,
        previous,
        written,
        revisionId: revision?.id ?? null,
        before,
        final: true,
        alerts: [],
      };
    }
    await applyProvisionalDelta(tx, { meter, day, startMs, previous: previous ?? null, written });
    const alerts = await alertCorrection(tx, {
      meter,
      day,
      intervalStart,
      revisionId: revision?.id ?? null,
      actor: input.actor,
      kwhBefore: before.find((row) => row.level === 'daily')?.kwh ?? '0.0000',
    });
    await publishBillingAlertsRaised(
      tx,
      alerts.map((alert) => alert.id),
    );
    return {
      changed: true as const,
      previous,
      written,
      revisionId: revision?.id ?? null,
      before,
      final: false,
      alerts,
    };
  });

  if (!outcome.changed) {
    return {
      meterId: meter.id,
      intervalStart: formatInstant(startMs),
      day,
      changed: false,
      before: outcome.previous,
      after: outcome.previous,
      revisionId: null,
      dayStatus: statusOf(outcome.before, 'daily') ?? 'provisional',
      reprocessed: false,
      aggregates: [],
      alerts: [],
    };
  }

  let reprocessed = false;
  let alerts = outcome.alerts;
  if (outcome.final) {
    const result = await reprocessKeys(sql, {
      keys: [{ meterId: meter.id, day }],
      actor: input.actor,
      collectChanges: true,
    });
    reprocessed = result.requeued === 0;
    alerts = result.alerts;
  }
  const after = await snapshotAggregates(sql, meter, day, startMs);
  return {
    meterId: meter.id,
    intervalStart: formatInstant(startMs),
    day,
    changed: true,
    before: outcome.previous ?? null,
    after: outcome.written,
    revisionId: outcome.revisionId,
    dayStatus: outcome.final ? 'final' : 'provisional',
    reprocessed,
    aggregates: diffAggregates(outcome.before, after),
    alerts,
  };
}

function parseKwh(value: number | string): string {
  let text: string | null;
  try {
    text = typeof value === 'number' ? formatKwh(value) : unitsToKwh(kwhToUnits(value));
  } catch {
    text = null;
  }
  if (text === null)
    throw new CorrectionError('kwh', `${String(value)} is not a kWh value with at most 4 decimals`);
  if (text.startsWith('-')) throw new CorrectionError('kwh', 'kwh must not be negative');
  return unitsToKwh(kwhToUnits(text));
}

interface AggregateRow {
  level: AggregateChange['level'];
  key: string;
  kwh: string;
  status: 'provisional' | 'final';
}

/**
 * The aggregate rows a correction reports for one interval of one meter: its hour, its day, its three
 * dimension days, its settlement period. Its three dimension hours move with the dimension days.
 */
async function snapshotAggregates(
  sql: Sql | TransactionSql,
  meter: MeterRow,
  day: string,
  startMs: number,
): Promise<AggregateRow[]> {
  const start = new Date(startMs).toISOString();
  return sql<AggregateRow[]>`
    select 'hourly' as level, meter_id || ' ' || to_char(hour_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as key,
           kwh::text as kwh, status::text as status
    from meter_usage_hourly where meter_id = ${meter.id} and hour_start = date_bin('1 hour', ${start}::timestamptz, '2000-01-01Z')
    union all
    select 'daily', meter_id || ' ' || day::text, kwh::text, status::text
    from meter_usage_daily where meter_id = ${meter.id} and day = ${day}::date
    union all
    select 'dimension', dimension::text || ' ' || key || ' ' || day::text, kwh::text, status::text
    from dimension_usage_daily
    where day = ${day}::date
      and ((dimension = 'region' and key = ${meter.region}) or (dimension = 'segment' and key = ${meter.segment})
           or (dimension = 'tariff' and key = ${meter.tariffId}))
    union all
    select 'settlement', region || ' ' || to_char(period_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), kwh::text, status::text
    from settlement_period_usage
    where region = ${meter.region} and period_start = date_bin('30 minutes', ${start}::timestamptz, '2000-01-01Z')`;
}

function statusOf(rows: AggregateRow[], level: AggregateChange['level']) {
  return rows.find((row) => row.level === level)?.status ?? null;
}

function diffAggregates(before: AggregateRow[], after: AggregateRow[]): AggregateChange[] {
  const keys = new Map<string, AggregateChange>();
  for (const row of before) {
    keys.set(`${row.level}|${row.key}`, {
      level: row.level,
      key: row.key,
      kwhBefore: row.kwh,
      kwhAfter: null,
      statusBefore: row.status,
      statusAfter: null,
    });
  }
  for (const row of after) {
    const id = `${row.level}|${row.key}`;
    const change = keys.get(id) ?? {
      level: row.level,
      key: row.key,
      kwhBefore: null,
      kwhAfter: null,
      statusBefore: null,
      statusAfter: null,
    };
    change.kwhAfter = row.kwh;
    change.statusAfter = row.status;
    keys.set(id, change);
  }
  const order = ['hourly', 'daily', 'dimension', 'settlement'];
  return [...keys.values()]
    .filter((change) => change.kwhBefore !== change.kwhAfter || change.statusBefore !== change.statusAfter)
    .sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level) || a.key.localeCompare(b.key));
}

/**
 * Moves the provisional rows by the correction's difference, as the speed layer would have: kWh by new
 * minus old, and the interval from its old quality's count (actual or estimated, none if it was missing)
 * to edited. Rows that do not exist yet are created with the fleet's expected counts.
 */
async function applyProvisionalDelta(
  tx: TransactionSql,
  params: {
    meter: MeterRow;
    day: string;
    startMs: number;
    previous: ReadingVersion | null;
    written: ReadingVersion;
  },
): Promise<void> {
  const { meter, day, previous } = params;
  const dKwh = unitsToKwh(kwhToUnits(params.written.kwh) - kwhToUnits(previous?.kwh ?? '0'));
  const dActual = previous?.quality === 'actual' ? -1 : 0;
  const dEstimated = previous?.quality === 'estimated' ? -1 : 0;
  const dEdited = previous?.quality === 'edited' ? 0 : 1;
  const start = new Date(params.startMs).toISOString();
  const expected = await dayExpectations(tx, { day, meterId: meter.id });
  const set = () => tx`
    kwh = t.kwh + excluded.kwh, actual_intervals = t.actual_intervals + excluded.actual_intervals,
    estimated_intervals = t.estimated_intervals + excluded.estimated_intervals,
    edited_intervals = t.edited_intervals + excluded.edited_intervals, computed_at = now()`;
  await tx`
    insert into meter_usage_hourly as t
      (meter_id, hour_start, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status)
    values (${meter.id}, date_bin('1 hour', ${start}::timestamptz, '2000-01-01Z'), ${dKwh}, ${60 / meter.intervalMinutes},
            ${dActual}, ${dEstimated}, ${dEdited}, 'provisional')
    on conflict (meter_id, hour_start) do update set ${set()} where t.status = 'provisional'`;
  await tx`
    insert into meter_usage_daily as t
      (meter_id, day, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status)
    values (${meter.id}, ${day}::date, ${dKwh}, ${expected.meter}, ${dActual}, ${dEstimated}, ${dEdited}, 'provisional')
    on conflict (meter_id, day) do update set ${set()} where t.status = 'provisional'`;
  if (previous?.quality === 'actual') {
    // The meter's value leaves the actual readings: so does its arrival from the day's counts. It
    // arrived when first received, or when it replaced an estimate.
    await tx`
      update meter_usage_daily u
      set actual_by_d1_intervals = u.actual_by_d1_intervals - (a.arrival < ((${day}::date + 2)::timestamp at time zone ${meter.timeZone}))::int,
          actual_by_d5_intervals = u.actual_by_d5_intervals - (a.arrival < ((${day}::date + 6)::timestamp at time zone ${meter.timeZone}))::int
      from (
        select coalesce(
                 (select min(v.created_at) from reading_revisions v
                  where v.meter_id = r.meter_id and v.interval_start = r.interval_start
                    and v.old_quality = 'estimated' and v.new_quality = 'actual'),
                 r.first_received_at) as arrival
        from readings r where r.meter_id = ${meter.id} and r.interval_start = ${start}::timestamptz
      ) a
      where u.meter_id = ${meter.id} and u.day = ${day}::date and u.status = 'provisional'`;
  }
  await tx`
    insert into dimension_usage_daily as t
      (day, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status)
    values (${day}::date, 'region', ${meter.region}, ${dKwh}, ${expected.region}, ${dActual}, ${dEstimated}, ${dEdited}, 'provisional'),
           (${day}::date, 'segment', ${meter.segment}, ${dKwh}, ${expected.segment}, ${dActual}, ${dEstimated}, ${dEdited}, 'provisional'),
           (${day}::date, 'tariff', ${meter.tariffId}, ${dKwh}, ${expected.tariff}, ${dActual}, ${dEstimated}, ${dEdited}, 'provisional')
    on conflict (day, dimension, key) do update set ${set()} where t.status = 'provisional'`;
  await tx`
    insert into dimension_usage_hourly as t
      (hour_start, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status)
    select date_bin('1 hour', ${start}::timestamptz, '2000-01-01Z'), v.dimension, v.key, ${dKwh}::numeric, v.expected,
           ${dActual}::int, ${dEstimated}::int, ${dEdited}::int, 'provisional'
    from (values ('region'::usage_dimension, ${meter.region}, ${expected.regionHour}::int),
                 ('segment', ${meter.segment}, ${expected.segmentHour}::int),
                 ('tariff', ${meter.tariffId}, ${expected.tariffHour}::int)) as v(dimension, key, expected)
    on conflict (hour_start, dimension, key) do update set ${set()} where t.status = 'provisional'`;
  await tx`
    insert into settlement_period_usage as t
      (region, period_start, kwh, expected_intervals, actual_intervals, estimated_intervals, edited_intervals, status)
    values (${meter.region}, date_bin('30 minutes', ${start}::timestamptz, '2000-01-01Z'), ${dKwh}, ${expected.regionHalfHour},
            ${dActual}, ${dEstimated}, ${dEdited}, 'provisional')
    on conflict (region, period_start) do update set ${set()} where t.status = 'provisional'`;
}

/** A billing alert per invoiced billing period (of the meter or its customer) that holds the corrected day. */
async function alertCorrection(
  tx: TransactionSql,
  params: {
    meter: MeterRow;
    day: string;
    intervalStart: string;
    revisionId: number | null;
    actor: string;
    kwhBefore: string;
  },
): Promise<RaisedAlert[]> {
  return tx<RaisedAlert[]>`
    with day_row as (
      select kwh from meter_usage_daily where meter_id = ${params.meter.id} and day = ${params.day}::date
    )
    insert into billing_alerts
      (meter_id, day, billing_period_id, kwh_before, kwh_after, kwh_delta, cause, revision_ids, interval_starts, raised_by)
    select ${params.meter.id}, ${params.day}::date, p.id, ${params.kwhBefore}::numeric, d.kwh, d.kwh - ${params.kwhBefore}::numeric,
           'correction', ${params.revisionId === null ? [] : [params.revisionId]}::bigint[], array[${params.intervalStart}::timestamptz],
           ${params.actor}
    from billing_periods p cross join day_row d
    where p.customer_id = ${params.meter.customerId} and (p.meter_id is null or p.meter_id = ${params.meter.id})
      and p.invoiced_at is not null and ${params.day}::date between p.period_start and p.period_end
      and d.kwh <> ${params.kwhBefore}::numeric
    returning id, meter_id as "meterId", day::text as day, billing_period_id as "billingPeriodId",
              kwh_before::text as "kwhBefore", kwh_after::text as "kwhAfter", kwh_delta::text as "kwhDelta", cause`;
}

/** The revision history of one reading, oldest first. */
export async function listReadingRevisions(
  sql: Sql,
  params: { meterId: string; intervalStart: Date | string },
): Promise<
  {
    id: number;
    oldKwh: string | null;
    newKwh: string;
    oldQuality: string | null;
    newQuality: string;
    oldVersion: number | null;
    newVersion: number;
    source: string;
    reason: string;
    actor: string;
    createdAt: Date;
  }[]
> {
  const start =
    typeof params.intervalStart === 'string' ? params.intervalStart : params.intervalStart.toISOString();
  return sql`
    select id, old_kwh::text as "oldKwh", new_kwh::text as "newKwh", old_quality::text as "oldQuality",
           new_quality::text as "newQuality", old_version as "oldVersion", new_version as "newVersion",
           source::text as source, reason, actor, created_at as "createdAt"
    from reading_revisions where meter_id = ${params.meterId} and interval_start = ${start}::timestamptz
    order by id`;
}
