import type { Db } from '@meterops/db/client';
import type { FleetExpectations } from '@meterops/db/queries/ingest';
import { findMeterProfiles, listMeterProfiles, type MeterProfile } from '@meterops/db/queries/meters';
import { intervalsInLocalDay, localDayBounds } from '@meterops/domain/time';
import type { MeterInfo } from '@meterops/domain/vee';

/** A meter as the cache holds it: the database profile plus the epoch times VEE compares with. */
export type CachedMeter = MeterProfile & MeterInfo;

const toCached = (profile: MeterProfile): CachedMeter => ({
  ...profile,
  installedAtMs: profile.installedAt.getTime(),
  removedAtMs: profile.removedAt?.getTime() ?? null,
});

/**
 * The worker's view of the fleet: every meter's profile, reloaded periodically, and looked up in the
 * database before a reading is called an unknown meter (a meter may have been added a moment ago).
 */
export class FleetCache {
  private meters = new Map<string, CachedMeter>();
  private loadedAt = 0;
  private dayExpectations = new Map<string, FleetExpectations['dimensionDays']>();
  private halfHourExpectations: FleetExpectations['regionHalfHours'] | null = null;

  constructor(
    private readonly db: Db,
    private readonly maxAgeMs = 60_000,
  ) {}

  get size(): number {
    return this.meters.size;
  }

  async refreshIfStale(now = Date.now()): Promise<void> {
    if (now - this.loadedAt < this.maxAgeMs) return;
    const profiles = await listMeterProfiles(this.db);
    this.meters = new Map(profiles.map((profile) => [profile.id, toCached(profile)]));
    this.loadedAt = now;
    this.dayExpectations.clear();
    this.halfHourExpectations = null;
  }

  get(meterId: string): CachedMeter | undefined {
    return this.meters.get(meterId);
  }

  /** Looks up ids the cache does not know, so a meter added since the last reload is found. */
  async resolveUnknown(ids: Iterable<string>): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => !this.meters.has(id));
    if (unknown.length === 0) return;
    for (const profile of await findMeterProfiles(this.db, { ids: unknown })) {
      this.meters.set(profile.id, toCached(profile));
      this.dayExpectations.clear();
      this.halfHourExpectations = null;
    }
  }

  /** What the whole fleet should send on the given local days, per region, segment and tariff. */
  expectationsFor(days: Iterable<string>): FleetExpectations {
    const dimensionDays: FleetExpectations['dimensionDays'] = [];
    for (const day of new Set(days)) {
      let rows = this.dayExpectations.get(day);
      if (!rows) {
        rows = this.computeDay(day);
        this.dayExpectations.set(day, rows);
      }
      dimensionDays.push(...rows);
    }
    return { dimensionDays, regionHalfHours: (this.halfHourExpectations ??= this.computeHalfHours()) };
  }

  private computeDay(day: string): FleetExpectations['dimensionDays'] {
    const totals = new Map<
      string,
      { dimension: 'region' | 'segment' | 'tariff'; key: string; expected: number }
    >();
    const add = (dimension: 'region' | 'segment' | 'tariff', key: string, expected: number) => {
      const id = `${dimension}\u0000${key}`;
      const entry = totals.get(id);
      if (entry) entry.expected += expected;
      else totals.set(id, { dimension, key, expected });
    };
    // A fleet has few distinct zones and interval lengths; the calendar arithmetic is done once per pair.
    const boundsByZone = new Map<string, { startMs: number; endMs: number }>();
    const intervalsByZone = new Map<string, number>();
    for (const meter of this.meters.values()) {
      if (meter.status !== 'active') continue;
      let bounds = boundsByZone.get(meter.timeZone);
      if (!bounds) boundsByZone.set(meter.timeZone, (bounds = localDayBounds(day, meter.timeZone)));
      if (meter.installedAt.getTime() >= bounds.endMs) continue;
      if (meter.removedAt && meter.removedAt.getTime() <= bounds.startMs) continue;
      const zoneInterval = `${meter.timeZone}|${meter.intervalMinutes}`;
      let expected = intervalsByZone.get(zoneInterval);
      if (expected === undefined) {
        expected = intervalsInLocalDay(day, meter.timeZone, meter.intervalMinutes);
        intervalsByZone.set(zoneInterval, expected);
      }
      add('region', meter.region, expected);
      add('segment', meter.segment, expected);
      add('tariff', meter.tariffId, expected);
    }
    return [...totals.values()].map((entry) => ({ day, ...entry }));
  }

  private computeHalfHours(): FleetExpectations['regionHalfHours'] {
    const totals = new Map<string, number>();
    for (const meter of this.meters.values()) {
      if (meter.status !== 'active') continue;
      totals.set(meter.region, (totals.get(meter.region) ?? 0) + 30 / meter.intervalMinutes);
    }
    return [...totals].map(([region, expected]) => ({ region, expected }));
  }
}
