import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { connect, decimal, manifest, scenarioDays } from './truth';

const sql = connect();
test.afterAll(() => sql.end());

test.beforeEach(async ({ signInAs }) => {
  await signInAs('operator');
});

/** `3,122.7685 kWh, provisional`: the cell's text, including what it says to screen readers. */
const cellText = (kwh: string, status: string) => `${decimal(kwh)} kWh, ${status}`;

test('kWh by region per day equals the sum of the stored readings', async ({ page }, testInfo) => {
  const { from, to } = await scenarioDays(sql);
  const truth = await sql<{ region: string; day: string; kwh: string }[]>`
    select m.region, to_char((r.interval_start at time zone m.time_zone)::date, 'YYYY-MM-DD') as day, sum(r.kwh)::text as kwh
    from readings r join meters m on m.id = r.meter_id
    group by 1, 2`;
  const statuses = await sql<{ region: string; day: string; status: string }[]>`
    select key as region, to_char(day, 'YYYY-MM-DD') as day, status::text from dimension_usage_daily where dimension = 'region'`;

  await page.goto(`/ops/consumption?from=${from}&to=${to}&sday=${to}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Consumption' })).toBeVisible();
  await expect(page.getByText('Provisional: real-time speed layer, may still change')).toBeVisible();
  const inRange = truth.filter((row) => row.day >= from && row.day <= to);
  expect(inRange.length).toBeGreaterThan(0);
  for (const row of inRange) {
    const status =
      statuses.find((entry) => entry.region === row.region && entry.day === row.day)?.status ?? 'missing';
    const cell = page.locator(
      `[data-table="usage"] tr[data-period="${row.day}"] td[data-key="${row.region}"]`,
    );
    await expect(cell).toHaveText(cellText(row.kwh, status));
    await expect(cell).toHaveAttribute('data-status', status);
  }
  const [total] = await sql<{ kwh: string }[]>`
    select sum(r.kwh)::text as kwh from readings r join meters m on m.id = r.meter_id
    where (r.interval_start at time zone m.time_zone)::date between ${from} and ${to}`;
  await expect(page.locator('[data-table="usage"] tfoot td[data-key="total"]')).toHaveText(
    decimal(total?.kwh ?? '0'),
  );
  await expect(page.locator('[data-stat="total-kwh"] dd').first()).toHaveText(
    `${decimal(total?.kwh ?? '0')} kWh`,
  );
  const scenario = manifest();
  if (scenario) expect(total?.kwh).toBe(scenario.expected.totalKwh);

  await chartsDrawn(page);
  await saveScreenshot(page, testInfo, 'consumption-region-day');
});

test('segments per month and tariffs per hour equal the readings', async ({ page }, testInfo) => {
  const { from, to } = await scenarioDays(sql);
  await page.goto(`/ops/consumption?from=${from}&to=${to}`);
  await page.getByRole('radio', { name: 'Segment' }).click();
  await page.getByRole('radio', { name: 'Month' }).click();
  await expect(page.getByRole('radio', { name: 'Month' })).toBeChecked();
  await expect(page).toHaveURL(/dimension=segment/);
  await expect(page).toHaveURL(/granularity=month/);
  const months = await sql<{ segment: string; month: string; kwh: string }[]>`
    select m.segment::text as segment, to_char(date_trunc('month', (r.interval_start at time zone m.time_zone)::date), 'YYYY-MM-DD') as month,
           sum(r.kwh)::text as kwh
    from readings r join meters m on m.id = r.meter_id group by 1, 2`;
  for (const row of months) {
    await expect(
      page.locator(`[data-table="usage"] tr[data-period="${row.month}"] td[data-key="${row.segment}"]`),
    ).toContainText(`${decimal(row.kwh)} kWh`);
  }

  await page.goto(`/ops/consumption?dimension=tariff&granularity=hour&from=${to}&to=${to}`);
  const hours = await sql<{ tariff: string; hour: string; kwh: string }[]>`
    select m.tariff_id as tariff, to_char(date_trunc('hour', r.interval_start at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as hour,
           sum(r.kwh)::text as kwh
    from readings r join meters m on m.id = r.meter_id
    where r.interval_start >= ${to}::date::timestamp at time zone 'UTC' and r.interval_start < (${to}::date + 1)::timestamp at time zone 'UTC'
    group by 1, 2`;
  expect(hours.length).toBeGreaterThan(0);
  for (const row of hours) {
    await expect(
      page.locator(`[data-table="usage"] tr[data-period="${row.hour}"] td[data-key="${row.tariff}"]`),
    ).toContainText(`${decimal(row.kwh)} kWh`);
  }
  await chartsDrawn(page);
  await saveScreenshot(page, testInfo, 'consumption-tariff-hour');
});

test('half-hourly settlement periods of a region equal the readings', async ({ page }, testInfo) => {
  const { to } = await scenarioDays(sql);
  const [region] = await sql<
    { region: string }[]
  >`select region from meters group by region order by count(*) desc limit 1`;
  if (!region) throw new Error('no meters');
  await page.goto(`/ops/consumption?sday=${to}&sregion=${region.region}`);
  const panel = page.locator('[data-panel="settlement"]');
  await expect(panel.getByLabel('Region', { exact: true })).toHaveValue(region.region);
  await panel.locator('summary').click();
  const periods = await sql<{ start: string; kwh: string }[]>`
    select to_char(date_bin('30 minutes', r.interval_start, '2000-01-01T00:00:00Z') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS".000Z"') as start,
           sum(r.kwh)::text as kwh
    from readings r join meters m on m.id = r.meter_id
    where m.region = ${region.region}
      and r.interval_start >= ${to}::date::timestamp at time zone 'UTC' and r.interval_start < (${to}::date + 1)::timestamp at time zone 'UTC'
    group by 1`;
  expect(periods.length).toBe(48);
  for (const period of periods) {
    await expect(
      panel.locator(
        `[data-table="settlement"] tr[data-period="${period.start}"] td[data-key="${region.region}"]`,
      ),
    ).toContainText(`${decimal(period.kwh)} kWh`);
  }
  await chartsDrawn(page);
  await panel.scrollIntoViewIfNeeded();
  await saveScreenshot(page, testInfo, 'settlement');
});
