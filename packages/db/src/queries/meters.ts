import { inArray } from 'drizzle-orm';
import type { Db } from '../client';
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
