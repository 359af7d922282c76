/**
 * The portal's raw-reading views over a month whose partition was archived: an agent's meter day with
 * its revisions, a customer's day and year views. They must show what Postgres showed before archiving,
 * marked as archived. The month is one no other test uses, archived to a folder of this test's own.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const archiveDir = vi.hoisted(() => {
  const dir = `${process.env.TMPDIR ?? '/tmp'}/meterops-web-archive-${process.pid}`;
  process.env.ARCHIVE_DIR = dir;
  delete process.env.ARCHIVE_S3_BUCKET;
  return dir;
});

import { archiveMonth } from '@meterops/archive/archive';
import { FolderStore } from '@meterops/archive/storage';
import { createCaller } from '../src/server/root';
import { contextFor, createTestDb, TestData, type TestUser } from './support';

const MONTH = '2018-06';
const DAY = '2018-06-12';
const { db, sql, close } = createTestDb();
const data = new TestData(db);
let agent: TestUser;
let customer: TestUser;
const meterId = `WEBA-${randomUUID().slice(0, 8)}`;
const tariffId = meterId;

beforeAll(async () => {
  agent = await data.user('agent');
  customer = await data.user('customer');
  // A clean month: an earlier run of this file archived it.
  await sql`delete from archived_months where month = ${`${MONTH}-01`}`;
  await sql.unsafe(`drop table if exists readings_${MONTH.replace('-', '_')}`);
  await sql`select ensure_readings_partition(${`${MONTH}-01T00:00:00Z`}::timestamptz)`;
  await sql`insert into tariffs (id, name, kind, base_price_per_kwh) values (${tariffId}, 'Archive test', 'flat', 0.2)`;
  await sql`
    insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
    values (${meterId}, ${customer.customerId}, 'web-archive-test', 'residential', ${tariffId}, 30, 'Europe/London', 11.5, '2018-01-01')`;
  // Europe/London is UTC+1 in June: the local day starts at 23:00 UTC the day before.
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, estimation_method, flags, source, version)
    select ${meterId}, t, 0.1 + (extract(hour from t) / 100.0),
           case when extract(hour from t) = 4 then 'estimated'::reading_quality else 'actual' end,
           case when extract(hour from t) = 4 then 'like_day' end,
           case when extract(hour from t) = 9 then array['spike'] else '{}'::text[] end, 'meter', 1
    from generate_series(${`${MONTH}-01T00:00:00Z`}::timestamptz, ${`${MONTH}-30T23:30:00Z`}::timestamptz, interval '30 minutes') t`;
  const edited = new Date(`${DAY}T10:00:00Z`);
  await sql`update readings set kwh = 3.3333, quality = 'edited', source = ${agent.id}, version = 2, revised_at = now()
            where meter_id = ${meterId} and interval_start = ${edited}`;
  await sql`
    insert into reading_revisions (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version,
                                   new_version, source, reason, actor)
    values (${meterId}, ${edited}, 0.2, 3.3333, 'actual', 'edited', 1, 2, 'agent', 'customer photo of the register', ${agent.id})`;
  await sql`
    insert into meter_usage_daily (meter_id, day, kwh, status, expected_intervals, actual_intervals, estimated_intervals,
                                   edited_intervals, computed_at)
    select ${meterId}, d::date, 10.5, 'final', 48, 46, 1, 1, now()
    from generate_series(${`${MONTH}-01`}::date, ${`${MONTH}-30`}::date, interval '1 day') d`;
});

afterAll(async () => {
  await sql`delete from meter_usage_daily where meter_id = ${meterId}`;
  await sql`delete from meters where id = ${meterId}`;
  await sql`delete from tariffs where id = ${tariffId}`;
  await data.cleanup();
  await close();
  await fs.rm(archiveDir, { recursive: true, force: true });
});

describe('raw-reading views over an archived month', () => {
  it('answer from the archive with what Postgres gave before, marked archived', async () => {
    const agentCaller = createCaller(await contextFor(db, agent));
    const customerCaller = createCaller(await contextFor(db, customer));
    const dayBefore = await agentCaller.service.day({ meterId, day: DAY });
    const revisionsBefore = await agentCaller.service.revisions({ meterId, day: DAY });
    const customerDayBefore = await customerCaller.usage.report({ meterId, view: 'day', day: DAY });
    const yearBefore = await customerCaller.usage.report({ meterId, view: 'year', day: DAY });
    expect(dayBefore.archivedMonths).toEqual([]);
    expect(dayBefore.intervals.filter((interval) => interval.kwh !== null)).toHaveLength(48);
    expect(revisionsBefore.rows).toHaveLength(1);

    await archiveMonth(
      {
        sql,
        store: new FolderStore(archiveDir),
        workDir: path.join(os.tmpdir(), `meterops-web-archive-work-${process.pid}`),
      },
      MONTH,
    );
    const [partition] = await sql<
      { name: string | null }[]
    >`select to_regclass(${`readings_2018_06`})::text as name`;
    expect(partition?.name).toBeNull();

    const dayAfter = await agentCaller.service.day({ meterId, day: DAY });
    expect(dayAfter.archivedMonths).toEqual([MONTH]);
    expect(dayAfter.intervals).toEqual(dayBefore.intervals);
    expect(dayAfter.aggregate).toEqual(dayBefore.aggregate);
    const revisionsAfter = await agentCaller.service.revisions({ meterId, day: DAY });
    expect(revisionsAfter.rows).toEqual(revisionsBefore.rows);

    const customerDayAfter = await customerCaller.usage.report({ meterId, view: 'day', day: DAY });
    expect(customerDayAfter).toEqual({ ...customerDayBefore, archivedMonths: [MONTH] });
    const yearAfter = await customerCaller.usage.report({ meterId, view: 'year', day: DAY });
    expect(yearAfter).toEqual({ ...yearBefore, archivedMonths: [MONTH] });
  });

  it('shows a reading that arrived after the month was archived over the archived one', async () => {
    const agentCaller = createCaller(await contextFor(db, agent));
    const late = new Date(`${DAY}T15:00:00Z`);
    // Ingest recreates the partition of a month it writes to, archived or not.
    await sql`select ensure_readings_partition(${late})`;
    await sql`insert into readings (meter_id, interval_start, kwh, quality, source) values (${meterId}, ${late}, 7.7777, 'actual', 'meter')`;
    const day = await agentCaller.service.day({ meterId, day: DAY });
    expect(day.archivedMonths).toEqual([MONTH]);
    expect(day.intervals.find((interval) => interval.intervalStart.getTime() === late.getTime())?.kwh).toBe(
      '7.7777',
    );
    expect(day.intervals.filter((interval) => interval.kwh !== null)).toHaveLength(48);
  });
});
