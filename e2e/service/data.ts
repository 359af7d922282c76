/** What the customer-service and usage specs read from the database behind the app, to know exact values. */
import postgres from 'postgres';
import { databaseUrl } from '../env';

/** Shared by every spec in the worker; idle connections close by themselves, so no spec ends the pool. */
export const sql = postgres(databaseUrl, { max: 2, idle_timeout: 2, onnotice: () => {} });

/** The demo customer's meter (customer@meterops.test is bound to CUS-000001). */
export const DEMO_METER = 'MTR-000001';
/** A meter of another customer. */
export const OTHER_METER = 'MTR-000002';

export interface Target {
  day: string;
  intervalStart: Date;
  kwh: string;
  version: number;
}

/**
 * A measured, unflagged reading of the demo meter on its newest day that has ended, away from the day's
 * edges: the interval the correction spec changes.
 */
export async function correctionTarget(): Promise<Target> {
  const [row] = await sql<{ day: string; intervalStart: Date; kwh: string; version: number }[]>`
    with day as (
      select max(day) as day from meter_usage_daily
      where meter_id = ${DEMO_METER} and day < (now() at time zone 'Europe/London')::date
    )
    select to_char(d.day, 'YYYY-MM-DD') as day, r.interval_start as "intervalStart", r.kwh::text as kwh, r.version
    from day d
    join readings r on r.meter_id = ${DEMO_METER}
      and r.interval_start >= d.day::timestamp at time zone 'Europe/London'
      and r.interval_start < (d.day + 1)::timestamp at time zone 'Europe/London'
    where r.flags = '{}' and r.quality in ('actual', 'edited')
    order by r.interval_start
    offset 20 limit 1`;
  if (row === undefined)
    throw new Error(`${DEMO_METER} has no reading to correct; ingest a simulation first`);
  return row;
}

export async function reading(
  meterId: string,
  intervalStart: Date,
): Promise<{ kwh: string; quality: string; version: number }> {
  const [row] = await sql<{ kwh: string; quality: string; version: number }[]>`
    select kwh::text as kwh, quality, version from readings where meter_id = ${meterId} and interval_start = ${intervalStart}`;
  if (row === undefined) throw new Error(`no reading ${meterId} ${intervalStart.toISOString()}`);
  return row;
}

export async function daily(meterId: string, day: string): Promise<{ kwh: string; status: string }> {
  const [row] = await sql<{ kwh: string; status: string }[]>`
    select kwh::text as kwh, status from meter_usage_daily where meter_id = ${meterId} and day = ${day}::date`;
  if (row === undefined) throw new Error(`no daily row ${meterId} ${day}`);
  return row;
}

/** `3122.7685` → `3,122.7685`, as the pages write exact decimals. */
export function formatDecimal(value: string): string {
  const [whole = '', fraction] = value.split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** `14:30` in the demo meter's zone. */
export function londonTime(date: Date): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(date);
}

/** Adds kWh exactly at 4 decimals. */
export function addKwh(kwh: string, add: string): string {
  const units = (text: string) => Math.round(Number(text) * 10_000);
  const total = units(kwh) + units(add);
  return `${Math.floor(total / 10_000)}.${String(total % 10_000).padStart(4, '0')}`;
}
