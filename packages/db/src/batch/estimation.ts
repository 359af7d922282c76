/**
 * Loading what estimation needs for a set of meters and one local day — the day's readings with their
 * neighbours and the like-day history — in two indexed queries, and writing the estimates back. Only
 * meters that have gaps come here, so history is fetched for a few meters, never the fleet.
 */
import {
  estimateGaps,
  type Estimate,
  type EstimationParams,
  type GapEstimationInput,
  type HistoryDay,
} from '@meterops/domain/estimation';
import { MINUTE_MS, addDays, localDay, localDayBounds, localTimeParts } from '@meterops/domain/time';
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';

/** The raw client or a transaction of it; both run tagged queries alike. */
export type BatchSql = Sql | TransactionSql;

export interface GapMeter {
  meterId: string;
  timeZone: string;
  intervalMinutes: number;
}

export interface StoredReading {
  intervalStartMs: number;
  kwh: string;
  quality: 'actual' | 'estimated' | 'edited';
  estimationMethod: string | null;
  flags: string[];
}

export interface GapInput {
  meter: GapMeter;
  /** Every stored reading of the local day, ascending. */
  dayReadings: StoredReading[];
  estimation: GapEstimationInput;
}

/** The readings and like-day history of each meter for `day`, in the meters' order. */
export async function loadGapInputs(
  sql: BatchSql,
  params: { day: string; meters: readonly GapMeter[]; likeDayWeeks: number },
): Promise<GapInput[]> {
  if (params.meters.length === 0) return [];
  const ids = params.meters.map((meter) => meter.meterId);
  const zones = new Map<string, { startMs: number; endMs: number }>();
  const boundsOf = (day: string, timeZone: string) => {
    const key = `${day}|${timeZone}`;
    let bounds = zones.get(key);
    if (bounds === undefined) zones.set(key, (bounds = localDayBounds(day, timeZone)));
    return bounds;
  };
  const historyDays = Array.from({ length: params.likeDayWeeks }, (_, index) =>
    addDays(params.day, -7 * (index + 1)),
  );

  // One range per wanted day wide enough for every zone of the meters, plus a neighbour interval on each side.
  const ranges = [params.day, ...historyDays].map((day) => {
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (const meter of params.meters) {
      const bounds = boundsOf(day, meter.timeZone);
      from = Math.min(from, bounds.startMs - meter.intervalMinutes * MINUTE_MS);
      to = Math.max(to, bounds.endMs + meter.intervalMinutes * MINUTE_MS);
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  });
  interface Row {
    meterId: string;
    intervalStart: Date;
    kwh: string;
    quality: StoredReading['quality'];
    estimationMethod: string | null;
    flags: string[];
  }
  const rows = await sql<Row[]>`
    select r.meter_id as "meterId", r.interval_start as "intervalStart", r.kwh::text as kwh, r.quality,
           r.estimation_method as "estimationMethod", r.flags
    from unnest(${ids}::text[]) as m(id)
    cross join unnest(${ranges.map((range) => range.from)}::timestamptz[], ${ranges.map((range) => range.to)}::timestamptz[])
      as w(from_at, to_at)
    cross join lateral (
      select * from readings r
      where r.meter_id = m.id and r.interval_start >= w.from_at and r.interval_start < w.to_at
    ) r
    order by 1, 2`;

  const byMeter = new Map<string, Row[]>();
  for (const row of rows) {
    const list = byMeter.get(row.meterId);
    if (list === undefined) byMeter.set(row.meterId, [row]);
    else list.push(row);
  }

  return params.meters.map((meter) => {
    const stepMs = meter.intervalMinutes * MINUTE_MS;
    const today = boundsOf(params.day, meter.timeZone);
    const dayReadings: StoredReading[] = [];
    const measured: { intervalStartMs: number; kwh: string }[] = [];
    const history = new Map<string, { values: (string | null)[]; estimated: boolean }>();
    const seen = new Set<number>();
    for (const row of byMeter.get(meter.meterId) ?? []) {
      const startMs = row.intervalStart.getTime();
      // Ranges of neighbouring zones may overlap; each reading counts once.
      if (seen.has(startMs)) continue;
      seen.add(startMs);
      const isMeasured = row.quality !== 'estimated';
      if (startMs >= today.startMs - stepMs && startMs < today.endMs + stepMs) {
        if (startMs >= today.startMs && startMs < today.endMs) {
          dayReadings.push({
            intervalStartMs: startMs,
            kwh: row.kwh,
            quality: row.quality,
            estimationMethod: row.estimationMethod,
            flags: row.flags,
          });
        }
        if (isMeasured) measured.push({ intervalStartMs: startMs, kwh: row.kwh });
        continue;
      }
      const parts = localTimeParts(startMs, meter.timeZone);
      if (!historyDays.includes(parts.day)) continue;
      let entry = history.get(parts.day);
      if (entry === undefined) history.set(parts.day, (entry = { values: [], estimated: false }));
      if (!isMeasured) {
        entry.estimated = true;
        continue;
      }
      const slot = Math.floor(parts.minuteOfDay / meter.intervalMinutes);
      // On a fall-back day the repeated hour shares slots; the first value of a slot is kept.
      if (entry.values[slot] === undefined || entry.values[slot] === null) entry.values[slot] = row.kwh;
    }
    const historyDaysOut: HistoryDay[] = [...history].map(([day, entry]) => ({
      day,
      values: Array.from(entry.values, (value) => value ?? null),
      estimated: entry.estimated,
    }));
    return {
      meter,
      dayReadings,
      estimation: {
        day: params.day,
        timeZone: meter.timeZone,
        intervalMinutes: meter.intervalMinutes,
        readings: measured,
        history: historyDaysOut,
      },
    };
  });
}

/** What estimation did to the stored readings. */
export interface EstimateWriteResult {
  /** Estimates written where no reading was. */
  inserted: number;
  /** Stored estimates replaced by a different value or method (each with a revision). */
  replaced: number;
  linear: number;
  likeDay: number;
  /** Meters whose readings changed. */
  meterIds: string[];
}

/**
 * Estimates every gap of the given meters' day and stores what differs from what is stored: new estimates
 * where nothing is, and replacements (with a reading_revisions row) where a stored estimate now comes out
 * differently. Measured readings are never touched; an interval that received a real reading meanwhile
 * keeps it.
 */
export async function estimateAndStore(
  sql: BatchSql,
  params: {
    day: string;
    meters: readonly GapMeter[];
    settings: EstimationParams;
    actor: string;
  },
): Promise<EstimateWriteResult> {
  const inputs = await loadGapInputs(sql, {
    day: params.day,
    meters: params.meters,
    likeDayWeeks: params.settings.likeDayWeeks,
  });
  const meterIds: string[] = [];
  const starts: string[] = [];
  const kwhs: string[] = [];
  const methods: string[] = [];
  for (const input of inputs) {
    const stored = new Map(input.dayReadings.map((reading) => [reading.intervalStartMs, reading]));
    for (const estimate of estimateGaps(input.estimation, params.settings)) {
      const current = stored.get(estimate.intervalStartMs);
      if (current !== undefined && !differs(current, estimate)) continue;
      if (localDay(estimate.intervalStartMs, input.meter.timeZone) !== params.day) continue;
      meterIds.push(input.meter.meterId);
      starts.push(new Date(estimate.intervalStartMs).toISOString());
      kwhs.push(estimate.kwh);
      methods.push(estimate.method);
    }
  }
  if (meterIds.length === 0) return { inserted: 0, replaced: 0, linear: 0, likeDay: 0, meterIds: [] };
  const written = await sql<{ meterId: string; method: string; replaced: boolean }[]>`
    with incoming as (
      select * from unnest(${meterIds}::text[], ${starts}::timestamptz[], ${kwhs}::numeric[], ${methods}::text[])
        as i(meter_id, interval_start, kwh, method)
    ),
    previous as (
      select r.meter_id, r.interval_start, r.kwh, r.version, r.quality
      from readings r join incoming i using (meter_id, interval_start)
    ),
    written as (
      insert into readings as r (meter_id, interval_start, kwh, quality, estimation_method, source, version, received_at)
      select meter_id, interval_start, kwh, 'estimated', method, 'estimation', 1, now()
      from incoming
      order by meter_id, interval_start
      on conflict (meter_id, interval_start) do update
        set kwh = excluded.kwh, estimation_method = excluded.estimation_method, version = r.version + 1,
            revised_at = now(), received_at = now()
        where r.quality = 'estimated'
          and (r.kwh <> excluded.kwh or r.estimation_method is distinct from excluded.estimation_method)
      returning r.meter_id, r.interval_start, r.kwh, r.version, r.estimation_method
    ),
    revisions as (
      insert into reading_revisions
        (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor)
      select w.meter_id, w.interval_start, p.kwh, w.kwh, p.quality, 'estimated', p.version, w.version, 'estimation',
             'estimate recomputed (' || w.estimation_method || ') after the readings around it changed', ${params.actor}
      from written w join previous p using (meter_id, interval_start)
      returning meter_id, interval_start
    )
    select w.meter_id as "meterId", w.estimation_method as method,
           exists (select 1 from previous p where p.meter_id = w.meter_id and p.interval_start = w.interval_start) as replaced
    from written w`;
  const changed = new Set<string>();
  const result: EstimateWriteResult = { inserted: 0, replaced: 0, linear: 0, likeDay: 0, meterIds: [] };
  for (const row of written) {
    changed.add(row.meterId);
    if (row.replaced) result.replaced += 1;
    else result.inserted += 1;
    if (row.method === 'like_day') result.likeDay += 1;
    else result.linear += 1;
  }
  result.meterIds = [...changed];
  return result;
}

function differs(stored: StoredReading, estimate: Estimate): boolean {
  return (
    stored.quality === 'estimated' &&
    (stored.kwh !== estimate.kwh || stored.estimationMethod !== estimate.method)
  );
}
