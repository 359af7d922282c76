import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { connect, count, scenarioDays, share } from './truth';

const sql = connect();
test.afterAll(() => sql.end());

test('completeness per day and region, and a region-day drilled into, equal the database', async ({
  page,
  signInAs,
}, testInfo) => {
  await signInAs('operator');
  const { from, to } = await scenarioDays(sql);
  const cells = await sql<{ day: string; region: string; expected: number; actual: number }[]>`
    select to_char(day, 'YYYY-MM-DD') as day, key as region, expected_intervals as expected, actual_intervals as actual
    from dimension_usage_daily where dimension = 'region' and day between ${from} and ${to}`;
  expect(cells.length).toBeGreaterThan(0);

  await page.goto(`/ops/completeness?from=${from}&to=${to}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Data completeness' })).toBeVisible();
  const expected = cells.reduce((sum, cell) => sum + cell.expected, 0);
  const actual = cells.reduce((sum, cell) => sum + cell.actual, 0);
  await expect(page.locator('[data-stat="received"] dd').first()).toHaveText(share(actual, expected));
  await expect(page.locator('[data-stat="received"] dd').nth(1)).toHaveText(
    `${count(actual)} of ${count(expected)} expected intervals`,
  );
  await expect(page.locator('[data-stat="missing"] dd').first()).toHaveText(count(expected - actual));

  // The heatmap's numbers, as its table.
  await page.locator('[data-panel="heatmap"] summary').click();
  for (const cell of cells) {
    await expect(
      page.locator(`[data-table="heatmap"] tr[data-region="${cell.region}"] td[data-day="${cell.day}"]`),
    ).toHaveText(share(cell.actual, cell.expected));
  }
  await chartsDrawn(page);
  await saveScreenshot(page, testInfo, 'completeness');

  // Drill into the least complete region-day with the keyboard.
  const worst = [...cells].sort((a, b) => a.actual / a.expected - b.actual / b.expected)[0];
  if (!worst) throw new Error('no cells');
  const cellButton = page.locator(
    `[data-table="heatmap"] tr[data-region="${worst.region}"] td[data-day="${worst.day}"] button`,
  );
  await cellButton.focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(
    new RegExp(`region=${worst.region}.*day=${worst.day}|day=${worst.day}.*region=${worst.region}`),
  );
  const drilldown = page.locator('[data-panel="drilldown"]');
  await expect(drilldown.locator('[data-stat="cell-received"] dd').first()).toHaveText(
    share(worst.actual, worst.expected),
  );

  // Meters with gaps, counted from the readings themselves.
  const meters = await sql<{ id: string; expected: number; present: number }[]>`
    select m.id,
           (extract(epoch from ((${worst.day}::date + 1)::timestamp at time zone m.time_zone)
                               - (${worst.day}::date::timestamp at time zone m.time_zone)) / 60 / m.interval_minutes)::int as expected,
           (select count(*) from readings r
            where r.meter_id = m.id
              and r.interval_start >= (${worst.day}::date::timestamp at time zone m.time_zone)
              and r.interval_start < ((${worst.day}::date + 1)::timestamp at time zone m.time_zone))::int as present
    from meters m where m.region = ${worst.region} and m.status = 'active'`;
  const gaps = meters
    .map((meter) => ({ id: meter.id, missing: meter.expected - meter.present }))
    .filter((meter) => meter.missing > 0)
    .sort((a, b) => b.missing - a.missing || (a.id < b.id ? -1 : 1));
  await expect(drilldown.locator('[data-summary="gaps"]')).toHaveText(
    `${count(gaps.length)} of ${count(meters.length)} active meters have missing intervals.`,
  );
  const rows = drilldown.locator('[data-table="meter-gaps"] tbody tr');
  await expect(rows).toHaveCount(Math.min(gaps.length, 20));
  for (const [index, gap] of gaps.slice(0, 20).entries()) {
    await expect(rows.nth(index)).toHaveAttribute('data-meter', gap.id);
    await expect(rows.nth(index).locator('[data-cell="missing"]')).toHaveText(count(gap.missing));
  }

  // Arrival by the end of D+1 and D+5 in each meter's zone.
  const [arrival] = await sql<{ byD1: number; byD5: number }[]>`
    select count(*) filter (where r.first_received_at < ((${worst.day}::date + 2)::timestamp at time zone m.time_zone))::int as "byD1",
           count(*) filter (where r.first_received_at < ((${worst.day}::date + 6)::timestamp at time zone m.time_zone))::int as "byD5"
    from meters m join readings r on r.meter_id = m.id
    where m.region = ${worst.region} and m.status = 'active' and r.quality = 'actual'
      and r.interval_start >= (${worst.day}::date::timestamp at time zone m.time_zone)
      and r.interval_start < ((${worst.day}::date + 1)::timestamp at time zone m.time_zone)`;
  await expect(drilldown.locator('[data-stat="by-d1"] dd').first()).toHaveText(
    share(arrival?.byD1 ?? 0, worst.expected),
  );
  await expect(drilldown.locator('[data-stat="by-d5"] dd').first()).toHaveText(
    share(arrival?.byD5 ?? 0, worst.expected),
  );

  await drilldown.scrollIntoViewIfNeeded();
  await saveScreenshot(page, testInfo, 'completeness-drilldown');
});
