import { expect, saveScreenshot, test } from '../fixtures';
import { connect, count, manifest } from './truth';

const sql = connect();
test.afterAll(() => sql.end());

test.beforeEach(async ({ signInAs }) => {
  await signInAs('operator');
});

test('the quarantine lists what rejected_readings holds, by rule and in pages', async ({
  page,
}, testInfo) => {
  const byRule = await sql<
    { rule: string; n: number }[]
  >`select rule, count(*)::int as n from rejected_readings group by rule`;
  const total = byRule.reduce((sum, row) => sum + row.n, 0);
  expect(total).toBeGreaterThan(0);
  const scenario = manifest();
  if (scenario) {
    expect(Object.fromEntries(byRule.map((row) => [row.rule, row.n]))).toEqual(
      scenario.expected.rejectedByRule,
    );
  }

  await page.goto('/ops/rejects');
  await expect(page.getByRole('heading', { level: 1, name: 'Rejected readings' })).toBeVisible();
  await expect(page.locator('.chip[data-rule="all"] .chip__count')).toHaveText(count(total));
  for (const row of byRule) {
    await expect(page.locator(`.chip[data-rule="${row.rule}"] .chip__count`)).toHaveText(count(row.n));
  }
  await expect(page.locator('.pagination__summary')).toHaveText(
    `1–${count(Math.min(50, total))} of ${count(total)} rejected readings`,
  );

  // The newest rejection first, with its Kafka position and payload.
  const [newest] = await sql<
    { id: number; partition: number; offset: string; payload: string; rule: string }[]
  >`
    select id::int, partition, kafka_offset::text as offset, payload, rule from rejected_readings order by id desc limit 1`;
  const first = page.locator('[data-table="rejects"] tbody tr').first();
  await expect(first).toHaveAttribute('data-reject', String(newest?.id));
  await expect(first.locator('[data-cell="position"] .mono')).toHaveText(
    `p${newest?.partition} · offset ${newest?.offset}`,
  );
  await first.getByRole('button', { name: 'Show payload' }).click();
  const shown = await first.locator('pre.payload').textContent();
  let expectedPayload = newest?.payload ?? '';
  try {
    expectedPayload = JSON.stringify(JSON.parse(expectedPayload), null, 2);
  } catch {
    // Shown exactly as received when it is not JSON.
  }
  expect(shown).toBe(expectedPayload);
  await saveScreenshot(page, testInfo, 'rejects');

  if (total > 50) {
    await page.getByRole('button', { name: 'Next', exact: true }).click();
    await expect(page.locator('.pagination__summary')).toHaveText(
      `51–${count(Math.min(100, total))} of ${count(total)} rejected readings`,
    );
    await expect(page).toHaveURL(/[?&]page=2/);
  }
});

test('filters by rule, meter and time received', async ({ page }, testInfo) => {
  const [largest] = await sql<{ rule: string; n: number }[]>`
    select rule, count(*)::int as n from rejected_readings group by rule order by count(*) desc, rule limit 1`;
  if (!largest) throw new Error('no rejections');
  await page.goto('/ops/rejects');
  await page.getByLabel('Rule', { exact: true }).selectOption(largest.rule);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`rule=${largest.rule}`));
  await expect(page.locator('.pagination__summary')).toHaveText(
    `1–${count(Math.min(50, largest.n))} of ${count(largest.n)} rejected readings`,
  );
  const rules = await page
    .locator('[data-table="rejects"] tbody tr')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-rule')));
  expect(new Set(rules)).toEqual(new Set([largest.rule]));

  const [meter] = await sql<{ meterId: string; n: number }[]>`
    select meter_id as "meterId", count(*)::int as n from rejected_readings where meter_id is not null
    group by meter_id order by count(*) desc, meter_id limit 1`;
  if (meter) {
    await page.getByLabel('Rule', { exact: true }).selectOption('');
    await page.getByLabel('Meter', { exact: true }).fill(meter.meterId);
    await page.getByLabel('Meter', { exact: true }).press('Enter');
    await expect(page).toHaveURL(new RegExp(`meter=${meter.meterId}`));
    await expect(page.locator('.pagination__summary')).toHaveText(
      `1–${count(Math.min(50, meter.n))} of ${count(meter.n)} rejected readings`,
    );
  }

  // A time window that ends before anything was received leaves nothing.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Received to (UTC)').fill('2000-01-01T00:00');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByText('No rejected readings', { exact: true })).toBeVisible();
  await saveScreenshot(page, testInfo, 'rejects-filtered-empty');
});
