/**
 * A day of a month whose raw readings were archived to Parquet: the agent's meter page and the customer's
 * day view show the same intervals as before, marked "Archived". The spec writes a day of readings for
 * the demo meter in a month nothing else uses, archives the month with the settings the app under test
 * reads (METEROPS_STATE_DIR / ARCHIVE_*), and restores it afterwards.
 */
import { archiveMonth, restoreMonth, type ArchiveDeps } from '@meterops/archive/archive';
import { archiveEnvSchema, archivePaths, createStore } from '@meterops/archive/config';
import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { DEMO_METER, formatDecimal, sql } from './data';

const MONTH = '2019-04';
const DAY = '2019-04-10';
// Europe/London is UTC+1 on that day.
const dayStart = new Date('2019-04-09T23:00:00Z');

const settings = archiveEnvSchema.parse(process.env);
const deps: ArchiveDeps = {
  sql,
  store: createStore(settings),
  workDir: archivePaths(settings).workDir,
};

test.afterAll(async () => {
  const [row] = await sql<{ dropped: boolean }[]>`
    select dropped_at is not null as dropped from archived_months where month = ${`${MONTH}-01`}`;
  if (row?.dropped === true) await restoreMonth(deps, MONTH);
  await sql`delete from readings where meter_id = ${DEMO_METER} and interval_start >= ${dayStart}
            and interval_start < ${new Date(dayStart.getTime() + 86_400_000)}`;
});

test('an archived day reads the same from the archive, marked archived, for the agent and the customer', async ({
  page,
  signInAs,
}, testInfo) => {
  const [meter] = await sql<{ minutes: number }[]>`
    select interval_minutes as minutes from meters where id = ${DEMO_METER}`;
  const minutes = meter?.minutes ?? 30;
  await sql`select ensure_readings_partition(${dayStart})`;
  await sql`
    insert into readings (meter_id, interval_start, kwh, quality, source)
    select ${DEMO_METER}, t, 0.1 + extract(hour from t) / 100.0, 'actual', 'meter'
    from generate_series(${dayStart}::timestamptz, ${new Date(dayStart.getTime() + 86_400_000 - minutes * 60_000)}::timestamptz,
                         make_interval(mins => ${minutes})) t
    on conflict do nothing`;
  const [reading] = await sql<{ intervalStart: Date; kwh: string }[]>`
    select interval_start as "intervalStart", kwh::text as kwh from readings
    where meter_id = ${DEMO_METER} and interval_start = ${new Date(dayStart.getTime() + 10 * 3_600_000)}`;
  if (reading === undefined) throw new Error('the seeded reading is missing');

  await archiveMonth(deps, MONTH);

  await signInAs('agent');
  await page.goto(`/service/meters/${DEMO_METER}?${new URLSearchParams({ day: DAY }).toString()}`);
  await expect(page.getByTestId('archived-note')).toContainText(`Intervals and revisions of ${MONTH}`, {
    timeout: 60_000,
  });
  const row = page.locator(`tr[data-interval="${reading.intervalStart.toISOString()}"]`);
  await expect(row).toContainText(formatDecimal(reading.kwh));
  await saveScreenshot(page, testInfo, 'archived-day-agent');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await signInAs('customer');
  await page.goto(`/usage?${new URLSearchParams({ meter: DEMO_METER, view: 'day', day: DAY }).toString()}`);
  await expect(page.locator('[data-chart]').first()).toBeVisible({ timeout: 60_000 });
  await chartsDrawn(page);
  await expect(page.getByTestId('archived-note')).toContainText(
    `(${MONTH}) are read from the long-term archive`,
  );
  await expect(page.locator(`tr[data-interval="${reading.intervalStart.toISOString()}"]`)).toContainText(
    formatDecimal(reading.kwh),
  );
  await saveScreenshot(page, testInfo, 'archived-day-customer');
});
