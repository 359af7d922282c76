import { inArray } from 'drizzle-orm';
import type { TransactionSql } from 'postgres';
import type { Db, Sql } from '../client';
import { meters } from '../schema/index';

/** What validation and the speed layer need to know about a meter. */
export interface MeterProfile {
  id: string;
  region: string;
  segment: 'residential' | 'commercial';
  tariffId: string;
  intervalMinutes: number;
  timeZone: string;
  maxKwhPerInterval: number;
  status: 'active' | 'inactive' | 'removed';
  installedAt: Date;
  removedAt: Date | null;
}

const profileColumns = {
  id: meters.id,
  region: meters.region,
  segment: meters.segment,
  tariffId: meters.tariffId,
  intervalMinutes: meters.intervalMinutes,
  timeZone: meters.timeZone,
  maxKwhPerInterval: meters.maxKwhPerInterval,
  status: meters.status,
  installedAt: meters.installedAt,
  removedAt: meters.removedAt,
};

export function listMeterProfiles(db: Db): Promise<MeterProfile[]> {
  return db.select(profileColumns).from(meters);
}

export function findMeterProfiles(db: Db, params: { ids: readonly string[] }): Promise<MeterProfile[]> {
  if (params.ids.length === 0) return Promise.resolve([]);
  return db
    .select(profileColumns)
    .from(meters)
    .where(inArray(meters.id, [...params.ids]));
}

/** A meter's recent history per interval, for the high/low soft rules. */
export interface MeterBaseline {
  meterId: string;
  meanKwh: number;
  p95Kwh: number;
  samples: number;
}

/**
 * Baselines from the last `days` days of hourly usage: mean and 95th percentile of the average interval
 * within each hour, and how many actual intervals they rest on. Meters without history are absent.
 */
export async function readMeterBaselines(
  sql: Sql | TransactionSql,
  params: { meterIds: readonly string[]; days: number; now?: Date },
): Promise<MeterBaseline[]> {
  if (params.meterIds.length === 0) return [];
  const since = new Date((params.now ?? new Date()).getTime() - params.days * 86_400_000).toISOString();
  const rows = await sql<{ meterId: string; meanKwh: string; p95Kwh: number; samples: number }[]>`
    select meter_id as "meterId",
           (sum(kwh) / sum(actual_intervals))::text as "meanKwh",
           percentile_cont(0.95) within group (order by (kwh / actual_intervals)::float8) as "p95Kwh",
           sum(actual_intervals)::int as samples
    from meter_usage_hourly
    where meter_id = any(${params.meterIds as string[]}::text[]) and hour_start >= ${since}::timestamptz
      and actual_intervals > 0
    group by meter_id`;
  return rows.map((row) => ({
    meterId: row.meterId,
    meanKwh: Number(row.meanKwh),
    p95Kwh: row.p95Kwh,
    samples: row.samples,
  }));
}
