/**
 * Resolving rejects on /ops/rejects: an operator filters, sees the dry-run count, dismisses with a reason
 * and sees who resolved them and why. The spec brings its own rejects (a meter id of its own) and removes
 * them again, so the quarantine the other specs compare with the manifest is as it was.
 */
import { randomUUID } from 'node:crypto';
import { expect, saveScreenshot, test } from '../fixtures';
import { credentialsFor } from '../env';
import { connect } from './truth';

const sql = connect();
const meterId = `E2E-RDRV-${randomUUID().slice(0, 8)}`;
const topic = `e2e.${meterId}`;
const rule = 'negative_value';

test.beforeAll(async () => {
  for (const [offset, kwh] of [-0.5, -1.25, -2].entries()) {
    const item = { intervalStart: `2026-11-22T0${offset}:00:00Z`, kwh };
    await sql`
      insert into rejected_readings (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload)
      values (${topic}, 0, ${offset}, 0, ${meterId}, ${meterId}, ${rule}, ${`kwh ${kwh} is negative`},
              ${JSON.stringify({ meterId, reading: item })})`;
  }
});

test.afterAll(async () => {
  await sql`delete from rejected_readings where topic = ${topic}`;
  await sql.end();
});

test.beforeEach(async ({ signInAs }) => {
  await signInAs('operator');
});

test('an operator dismisses filtered rejects with a reason and sees the resolution', async ({
  page,
}, testInfo) => {
  await page.goto('/ops/rejects');
  await page.getByLabel('Rule', { exact: true }).selectOption(rule);
  await page.getByLabel('Meter', { exact: true }).fill(meterId);
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(new RegExp(`meter=${meterId}`));

  // The dry run: exactly the three open rejects of this meter and rule.
  const resolve = page.locator('[data-panel="resolve"]');
  await expect(resolve.locator('[data-open-count]')).toHaveAttribute('data-open-count', '3');
  await expect(resolve.getByText('3 open rejects', { exact: false })).toBeVisible();

  // A dismissal without a reason is refused next to the field, and changes nothing.
  await resolve.getByRole('button', { name: 'Dismiss 3 rejects' }).click();
  await expect(resolve.locator('.field__error')).toContainText('Give a reason');
  const [stillOpen] = await sql<{ n: number }[]>`
    select count(*)::int as n from rejected_readings where topic = ${topic} and resolution = 'open'`;
  expect(stillOpen?.n).toBe(3);

  const reason = 'Bench meter wired backwards; e2e';
  await resolve.getByLabel('Reason for dismissing').fill(reason);
  await resolve.getByRole('button', { name: 'Dismiss 3 rejects' }).click();
  await expect(resolve.locator('[data-result="dismissed"]')).toHaveText('Dismissed 3 rejects.');
  await expect(resolve.locator('[data-open-count]')).toHaveAttribute('data-open-count', '0');

  const rows = await sql<
    { id: number; resolution: string; resolvedBy: string; note: string; name: string }[]
  >`
    select r.id::int, r.resolution, r.resolved_by as "resolvedBy", r.resolution_note as note, u.name
    from rejected_readings r join users u on u.id::text = r.resolved_by
    where r.topic = ${topic} order by r.id`;
  const [operator] = await sql<{ id: string }[]>`
    select id::text from users where email = ${credentialsFor('operator').email}`;
  expect(rows).toHaveLength(3);
  for (const row of rows) {
    expect(row).toMatchObject({ resolution: 'dismissed', resolvedBy: operator?.id, note: reason });
  }

  // The list shows the resolution, who and the reason on every row.
  for (const row of rows) {
    const cell = page.locator(`[data-reject="${row.id}"] [data-cell="resolution"]`);
    await expect(cell).toHaveAttribute('data-resolution', 'dismissed');
    await expect(cell.locator('.badge')).toHaveText('Dismissed');
    await expect(cell).toContainText(`by ${row.name}`);
    await expect(cell).toContainText(reason);
  }
  await saveScreenshot(page, testInfo, 'rejects-dismissed');

  // Filtering on the resolution keeps them; the actions then explain that only open rejects are touched.
  await page.getByLabel('Resolution', { exact: true }).selectOption('dismissed');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page).toHaveURL(/resolution=dismissed/);
  await expect(page.locator('[data-table="rejects"] tbody tr')).toHaveCount(3);
  await expect(resolve.locator('[data-resolve="not-open"]')).toBeVisible();
});
