/**
 * Fixtures for the batch-layer tests: hand-made meters and readings with known values, ingest through
 * the real speed layer, and snapshots of every aggregate row to compare before and after.
 */
import type { Sql } from '@meterops/db/client';
import { fleetTariffs } from '@meterops/db/fleet';
import { writeIngestBatch } from '@meterops/db/queries/ingest';
import { intervalStartsOfLocalDay } from '@meterops/domain/time';

export interface TestMeter {
  id: string;
  region: string;
  segment?: 'residential' | 'commercial';
  tariffId?: string;
  intervalMinutes?: 15 | 30;
  timeZone?: string;
  status?: 'active' | 'inactive' | 'removed';
  installedAt?: string;
}

/** Tariffs, one customer per meter (CUS-<meter number>), and the meters. */
export async function createMeters(sql: Sql, meters: readonly TestMeter[]): Promise<void> {
  for (const tariff of fleetTariffs) {
    await sql`
      insert into tariffs (id, name, kind, base_price_per_kwh, windows)
      values (${tariff.id}, ${tariff.name}, ${tariff.kind}, ${tariff.basePricePerKwh}, ${sql.json(JSON.parse(JSON.stringify(tariff.windows)) as string[])})
      on conflict do nothing`;
  }
  for (const meter of meters) {
    const customerId = customerOf(meter.id);
    const segment = meter.segment ?? 'residential';
    await sql`
      insert into customers (id, name, region, segment) values (${customerId}, ${`Customer ${customerId}`}, ${meter.region}, ${segment})`;
    await sql`
      insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, status, installed_at)
      values (${meter.id}, ${customerId}, ${meter.region}, ${segment}, ${meter.tariffId ?? 'RES-FLAT'},
              ${meter.intervalMinutes ?? 15}, ${meter.timeZone ?? 'Europe/London'}, 10, ${meter.status ?? 'active'},
              ${meter.installedAt ?? '2024-01-01T00:00:00Z'})`;
  }
}

export const customerOf = (meterId: string) => `CUS-${meterId.slice(4)}`;

export function starts(day: string, meter: Pick<TestMeter, 'intervalMinutes' | 'timeZone'> = {}): number[] {
  return intervalStartsOfLocalDay(day, meter.timeZone ?? 'Europe/London', meter.intervalMinutes ?? 15);
}

export interface TestReading {
  meterId: string;
  intervalStartMs: number;
  kwh: string;
  quality?: 'actual' | 'estimated' | 'edited';
}

/** Stores readings directly, as if they had arrived long ago (no aggregates move). */
export async function insertReadings(sql: Sql, readings: readonly TestReading[]): Promise<void> {
  if (readings.length === 0) return;
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, estimation_method, source)
    select meter_id, interval_start, kwh, quality::reading_quality,
           case when quality = 'estimated' then 'like_day' end, case when quality = 'estimated' then 'estimation' else 'meter' end
    from unnest(${readings.map((r) => r.meterId)}::text[], ${readings.map((r) => new Date(r.intervalStartMs).toISOString())}::timestamptz[],
                ${readings.map((r) => r.kwh)}::numeric[], ${readings.map((r) => r.quality ?? 'actual')}::text[])
      as r(meter_id, interval_start, kwh, quality)`;
}

/** A whole local day of one meter with the same value in every interval except the given ones (null = missing). */
export function dayOf(
  meter: TestMeter,
  day: string,
  kwh: string,
  overrides: Record<number, string | null> = {},
  quality: TestReading['quality'] = 'actual',
): TestReading[] {
  return starts(day, meter).flatMap((intervalStartMs, index) => {
    const value = index in overrides ? overrides[index] : kwh;
    return value === null || value === undefined
      ? []
      : [{ meterId: meter.id, intervalStartMs, kwh: value, quality }];
  });
}

let nextOffset = 0n;

/** Sends readings through the real speed layer (writeIngestBatch), as one Kafka batch would. */
export async function ingest(sql: Sql, readings: readonly TestReading[]) {
  const expected = nextOffset === 0n ? null : nextOffset;
  nextOffset += 1n;
  return writeIngestBatch(sql, {
    readings: readings.map((reading) => ({
      meterId: reading.meterId,
      intervalStart: new Date(reading.intervalStartMs),
      kwh: reading.kwh,
      flags: [],
    })),
    rejections: [],
    fleet: { dimensionDays: [], regionHalfHours: [] },
    actor: 'ingest:test',
    position: {
      consumerGroup: 'batch-test',
      topic: 'readings',
      partition: 0,
      expectedNextOffset: expected,
      nextOffset,
    },
  });
}

/** Resets the fake Kafka position; each test database starts without one. */
export function resetIngestPosition(): void {
  nextOffset = 0n;
}

/** Every row of the aggregate tables and the readings, keyed, as JSON text, to compare before and after. */
export async function snapshot(sql: Sql): Promise<Map<string, string>> {
  const rows = new Map<string, string>();
  const add = (
    prefix: string,
    list: Record<string, unknown>[],
    key: (row: Record<string, unknown>) => string,
  ) => {
    for (const row of list) rows.set(`${prefix} ${key(row)}`, JSON.stringify(row));
  };
  const text = (value: unknown) => (value instanceof Date ? value.toISOString() : String(value));
  add(
    'hourly',
    await sql`select * from meter_usage_hourly`,
    (r) => `${text(r.meter_id)} ${text(r.hour_start)}`,
  );
  add('daily', await sql`select * from meter_usage_daily`, (r) => `${text(r.meter_id)} ${text(r.day)}`);
  add(
    'dimension',
    await sql`select * from dimension_usage_daily`,
    (r) => `${text(r.dimension)} ${text(r.key)} ${text(r.day)}`,
  );
  add(
    'settlement',
    await sql`select * from settlement_period_usage`,
    (r) => `${text(r.region)} ${text(r.period_start)}`,
  );
  add('reading', await sql`select * from readings`, (r) => `${text(r.meter_id)} ${text(r.interval_start)}`);
  return rows;
}

/** Keys whose rows differ between two snapshots (added, removed or changed). */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key)).sort();
}
