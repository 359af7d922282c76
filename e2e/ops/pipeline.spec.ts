import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { connect, count, influx, manifest } from './truth';

const sql = connect();
test.afterAll(() => sql.end());

test.beforeEach(async ({ signInAs }) => {
  await signInAs('operator');
});

test('pipeline health shows what InfluxDB and Postgres hold', async ({ page }, testInfo) => {
  await page.goto('/ops/pipeline?range=6h');
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline health' })).toBeVisible();
  await expect(page.getByRole('radio', { name: '6 hours' })).toBeChecked();

  // Throughput totals: the sums of the ingest_batch measurement over the same six hours.
  const [batches] = await influx(
    'SELECT SUM("records") AS messages, SUM("accepted") AS stored, SUM("duplicates") AS duplicates, SUM("rejected") AS rejected FROM "ingest_batch" WHERE time > now() - 6h',
  );
  const totals = batches?.rows[0] ?? {};
  const stored = Number(totals.stored);
  expect(stored).toBeGreaterThan(0);
  const throughput = page.locator('[data-panel="throughput"]');
  // A server's first pipeline request reads the whole range from InfluxDB; later ones only the newest buckets.
  await expect(throughput.locator('[data-total="messages"] dd')).toBeVisible({ timeout: 30_000 });
  await expect(throughput.locator('[data-total="messages"] dd')).toHaveText(count(Number(totals.messages)));
  await expect(throughput.locator('[data-total="stored"] dd')).toHaveText(count(stored));
  await expect(throughput.locator('[data-total="duplicates"] dd')).toHaveText(
    count(Number(totals.duplicates)),
  );
  await expect(throughput.locator('[data-total="rejected"] dd')).toHaveText(count(Number(totals.rejected)));
  await expect(throughput.locator('[data-total="in"] dd')).toHaveText(
    count(stored + Number(totals.duplicates) + Number(totals.rejected)),
  );
  const scenario = manifest();
  if (scenario) expect(stored).toBe(scenario.expected.storedReadings + scenario.expected.revisions);

  // Rejects by rule: the validation measurement, which must agree with the quarantine table.
  const validation = await influx(
    `SELECT SUM("count") AS n FROM "validation" WHERE "outcome" = 'rejected' AND time > now() - 6h GROUP BY "rule"`,
  );
  const quarantined = await sql<
    { rule: string; n: number }[]
  >`select rule, count(*)::int as n from rejected_readings group by rule`;
  expect(validation.length).toBeGreaterThan(0);
  for (const series of validation) {
    const rule = series.tags.rule ?? '';
    const rejected = Number(series.rows[0]?.n);
    expect(quarantined.find((row) => row.rule === rule)?.n).toBe(rejected);
    if (scenario) expect(scenario.expected.rejectedByRule[rule]).toBe(rejected);
    await expect(
      page.locator(`[data-table="rules"] tr[data-rule="${rule}"] [data-cell="rejected"]`),
    ).toHaveText(count(rejected));
  }

  // Every partition: caught up, status OK, committed offset from the commit measurement, stored
  // position from Postgres.
  const commits = await influx(
    'SELECT LAST("offset") AS "offset" FROM "commit" WHERE time > now() - 7d GROUP BY "partition"',
  );
  const positions = await sql<
    { partition: number; next: string }[]
  >`select partition, next_offset::text as next from ingest_offsets`;
  const rows = page.locator('[data-table="partitions"] tbody tr');
  await expect(rows).toHaveCount(commits.length);
  for (const series of commits) {
    const partition = Number(series.tags.partition);
    const row = page.locator(`[data-table="partitions"] tr[data-partition="${partition}"]`);
    await expect(row.getByText('OK', { exact: true })).toBeVisible();
    await expect(row.locator('[data-cell="lag-offsets"]')).toHaveText('0');
    await expect(row.locator('[data-cell="committed"]')).toHaveText(count(Number(series.rows[0]?.offset)));
    const stored = positions.find((position) => position.partition === partition);
    if (stored) await expect(row.locator('[data-cell="stored"]')).toHaveText(count(Number(stored.next)));
  }
  await expect(page.locator('[data-stat="status"]')).toContainText('OK');
  await expect(page.locator('[data-stat="total-lag"] dd').first()).toHaveText('0 offsets');
  await expect(page.locator('[data-stat="freshness"] dd').first()).toContainText('ago');

  // Batch latency: InfluxDB's percentiles of db_ms.
  const [latency] = await influx(
    'SELECT PERCENTILE("db_ms", 50) AS p50, PERCENTILE("db_ms", 95) AS p95, PERCENTILE("db_ms", 99) AS p99 FROM "ingest_batch" WHERE time > now() - 6h',
  );
  const dbRow = page.locator('[data-table="latency"] tr[data-latency="db"]');
  for (const key of ['p50', 'p95', 'p99'] as const) {
    await expect(dbRow.locator(`[data-cell="${key}"]`)).toHaveText(
      `${Number(latency?.rows[0]?.[key]).toFixed(1)} ms`,
    );
  }

  await chartsDrawn(page);
  await saveScreenshot(page, testInfo, 'pipeline');
});

test('the time range is chosen with the keyboard and kept in the address', async ({ page }) => {
  await page.goto('/ops/pipeline');
  const oneHour = page.getByRole('radio', { name: '1 hour' });
  await expect(oneHour).toBeChecked();
  await oneHour.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('radio', { name: '6 hours' })).toBeChecked();
  await expect(page).toHaveURL(/[?&]range=6h/);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('radio', { name: '15 minutes' })).toBeChecked();
  await expect(page).toHaveURL(/[?&]range=15m/);
  await chartsDrawn(page);
});

test('refreshes by itself', async ({ page }) => {
  await page.goto('/ops/pipeline?range=15m');
  await chartsDrawn(page);
  const refreshed = page.waitForResponse(
    (response) => response.url().includes('/api/trpc/pipeline.consumers'),
    {
      timeout: 20_000,
    },
  );
  expect((await refreshed).status()).toBe(200);
});
