import { finalizeDay, processReprocessQueue } from '@meterops/db/queries/batch';
import { unitsToKwh } from '@meterops/domain/kwh';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';
import {
  createMeters,
  ingest,
  insertReadings,
  resetIngestPosition,
  starts,
  type TestMeter,
  type TestReading,
} from './batch-support';

const day = '2026-11-06';
const fleet: TestMeter[] = Array.from({ length: 300 }, (_, index) => ({
  id: `MTR-${String(index + 1).padStart(6, '0')}`,
  region: index % 3 === 0 ? 'wales' : 'london',
}));

let database: TestDatabase;

beforeAll(async () => {
  resetIngestPosition();
  database = await createTestDatabase();
  await createMeters(database.sql, fleet);
  const readings: TestReading[] = fleet.flatMap((meter, m) =>
    starts(day).map((intervalStartMs, i) => ({
      meterId: meter.id,
      intervalStartMs,
      kwh: unitsToKwh(1000 + ((m * 7 + i) % 50)),
    })),
  );
  await insertReadings(database.sql, readings);
});

afterAll(async () => {
  await database?.drop();
});

describe('late data arriving while a day is being finalized', () => {
  it('is either in the final numbers or queued for reprocessing: nothing is lost', async () => {
    const { sql } = database;
    const finalizing = finalizeDay(sql, { day, actor: 'job:test', chunkSize: 20, concurrency: 2 });
    const dayStarts = starts(day);
    for (let batch = 0; batch < 30; batch++) {
      await ingest(
        sql,
        Array.from({ length: 10 }, (_, k) => ({
          meterId: fleet[(batch * 37 + k * 29) % fleet.length]?.id as string,
          intervalStartMs: dayStarts[(batch * 11 + k) % dayStarts.length] as number,
          kwh: unitsToKwh(5000 + batch * 10 + k),
        })),
      );
    }
    await finalizing;
    await processReprocessQueue(sql, { actor: 'job:test' });

    const wrongDaily = await sql`
      with truth as (
        select meter_id, sum(kwh) as kwh, count(*)::int as n from readings
        where interval_start >= ${day}::date and interval_start < ${day}::date + 1 group by meter_id
      )
      select u.meter_id from meter_usage_daily u join truth t using (meter_id)
      where u.day = ${day} and (u.kwh <> t.kwh or u.actual_intervals <> t.n or u.status <> 'final')`;
    expect(wrongDaily).toEqual([]);
    const wrongHourly = await sql`
      with truth as (
        select meter_id, date_bin('1 hour', interval_start, '2000-01-01Z') as hour_start, sum(kwh) as kwh from readings
        where interval_start >= ${day}::date and interval_start < ${day}::date + 1 group by 1, 2
      )
      select h.meter_id from meter_usage_hourly h join truth t using (meter_id, hour_start) where h.kwh <> t.kwh`;
    expect(wrongHourly).toEqual([]);
    const wrongRegions = await sql`
      with truth as (
        select m.region, sum(r.kwh) as kwh from readings r join meters m on m.id = r.meter_id
        where r.interval_start >= ${day}::date and r.interval_start < ${day}::date + 1 group by 1
      )
      select d.key from dimension_usage_daily d join truth t on t.region = d.key
      where d.dimension = 'region' and d.day = ${day} and (d.kwh <> t.kwh or d.status <> 'final')
      union all
      select s.region from (select region, sum(kwh) as kwh from settlement_period_usage group by 1) s
      join truth t using (region) where s.kwh <> t.kwh`;
    expect(wrongRegions).toEqual([]);
    const [queue] = await sql<{ count: number }[]>`select count(*)::int as count from reprocess_queue`;
    expect(queue?.count).toBe(0);
  });
});
