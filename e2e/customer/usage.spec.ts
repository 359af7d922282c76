import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { DEMO_METER, formatDecimal, OTHER_METER, sql } from '../service/data';

const procedure = (path: string, input: unknown) =>
  `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;

test('a customer sees their usage by week with provisional and final labelled, and downloads it', async ({
  page,
  signInAs,
}, testInfo) => {
  const [last] = await sql<{ day: string }[]>`
    select to_char(max(day), 'YYYY-MM-DD') as day from meter_usage_daily where meter_id = ${DEMO_METER}`;
  const day = last?.day;
  if (!day) throw new Error(`${DEMO_METER} has no data; ingest a simulation first`);
  await signInAs('customer');
  await page.goto(`/usage?${new URLSearchParams({ meter: DEMO_METER, view: 'week', day }).toString()}`);
  // The first answer can take a while on a busy machine; the charts' own wait follows.
  await expect(page.locator('[data-chart]').first()).toBeVisible({ timeout: 60_000 });
  await chartsDrawn(page);

  // Every day of the week shows the database's exact kWh and its own status.
  const rows = await sql<{ day: string; kwh: string; status: string }[]>`
    select to_char(day, 'YYYY-MM-DD') as day, kwh::text as kwh, status::text as status from meter_usage_daily
    where meter_id = ${DEMO_METER} and day between (${day}::date - (extract(isodow from ${day}::date)::int - 1))
      and (${day}::date + (7 - extract(isodow from ${day}::date)::int))`;
  for (const row of rows) {
    const cell = page.locator(`tr[data-period="${row.day}"]`);
    await expect(cell).toHaveAttribute('data-status', row.status);
    await expect(cell).toContainText(formatDecimal(row.kwh));
    await expect(cell).toContainText(row.status === 'final' ? 'Final' : 'Provisional');
  }
  await expect(page.locator('.status-note')).toContainText(/as of \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await expect(page.locator('[data-panel="similar-homes"]')).toContainText(/percentile of \d+ similar homes/);
  await saveScreenshot(page, testInfo, 'usage-week');

  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(
    new RegExp(`^usage-${DEMO_METER}-week-\\d{4}-\\d{2}-\\d{2}-to-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
  );

  // The same page on a phone: the controls stack and stay usable.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('radio', { name: 'Year' }).click();
  await expect(page.getByRole('radio', { name: 'Year' })).toBeChecked();
  await expect(page.getByRole('heading', { level: 2, name: day.slice(0, 4), exact: true })).toBeVisible({
    timeout: 30_000,
  });
  await chartsDrawn(page);
  await saveScreenshot(page, testInfo, 'usage-year-phone');
});

test('a customer trying another customer’s meter id is refused everywhere', async ({
  page,
  signInAs,
}, testInfo) => {
  await signInAs('customer');
  await page.goto(
    `/usage?${new URLSearchParams({ meter: OTHER_METER, view: 'day', day: '2026-11-20' }).toString()}`,
  );
  await expect(page.getByRole('main').getByRole('alert')).toContainText('You have no meter with that id.');
  await expect(page.locator('[data-chart]')).toHaveCount(0);
  await saveScreenshot(page, testInfo, 'other-meter-refused');

  const input = { meterId: OTHER_METER, view: 'week', day: '2026-11-20' };
  const [report, comparison, csv, own] = await Promise.all([
    page.request.get(procedure('usage.report', input)),
    page.request.get(procedure('usage.comparison', input)),
    page.request.get(
      `/usage/export?${new URLSearchParams({ meter: OTHER_METER, view: 'week', day: '2026-11-20' }).toString()}`,
    ),
    page.request.get(
      `/usage/export?${new URLSearchParams({ meter: DEMO_METER, view: 'week', day: '2026-11-20' }).toString()}`,
    ),
  ]);
  expect([report.status(), comparison.status(), csv.status()]).toEqual([404, 404, 404]);
  expect(await report.text()).not.toContain(OTHER_METER.replace('MTR-', 'CUS-'));
  expect(own.status()).toBe(200);
  expect(own.headers()['content-type']).toBe('text/csv; charset=utf-8');

  // Staff procedures are closed to customers as well.
  const search = await page.request.get(procedure('service.search', { query: 'MTR-0000' }));
  expect(search.status()).toBe(403);
});
