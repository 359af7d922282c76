import { expect, saveScreenshot, test } from '../fixtures';
import { sql } from './data';

test('an agent works the review queue: accepts a flagged reading with a reason', async ({
  page,
  signInAs,
}, testInfo) => {
  const [flagged] = await sql<{ meterId: string; intervalStart: Date; flags: string[]; version: number }[]>`
    select meter_id as "meterId", interval_start as "intervalStart", flags, version from readings
    where flags <> '{}' order by interval_start desc, meter_id limit 1`;
  // The seeded scenario injects spikes (scripts/test.ts, --faults …spike…), so the queue is never empty.
  expect(flagged, 'the e2e scenario stores flagged readings').toBeDefined();
  if (flagged === undefined) return;
  const day = flagged.intervalStart.toISOString().slice(0, 10);
  const key = `${flagged.meterId}/${flagged.intervalStart.toISOString()}`;

  await signInAs('agent');
  await page
    .getByRole('navigation', { name: 'Customer service' })
    .getByRole('link', { name: 'Review queue' })
    .click();
  await page.getByLabel('From (UTC)').fill(day);
  await page.getByLabel('To (UTC)').fill(day);
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  const row = page.locator(`tr[data-review="${key}"]`);
  await expect(row).toBeVisible({ timeout: 30_000 });
  await expect(row.locator('[data-flag]').first()).toHaveAttribute('data-flag', flagged.flags[0] ?? '');
  await row.getByRole('button', { name: 'Accept' }).click();

  const form = page.getByRole('form', { name: /^Accept as measured/ });
  await form.getByLabel('Accept as measured: reason').fill('ok');
  await form.getByRole('button', { name: 'Accept reading' }).click();
  await expect(form.getByLabel('Accept as measured: reason')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText(/at least 10 characters/)).toBeVisible();
  await saveScreenshot(page, testInfo, 'review-queue');

  const reason = `Confirmed with the customer, e2e ${Date.now()}`;
  await form.getByLabel('Accept as measured: reason').fill(reason);
  await form.getByRole('button', { name: 'Accept reading' }).click();
  await expect(row).toHaveCount(0);
  const [after] = await sql<{ flags: string[]; version: number }[]>`
    select flags, version from readings where meter_id = ${flagged.meterId} and interval_start = ${flagged.intervalStart}`;
  expect(after).toEqual({ flags: [], version: flagged.version + 1 });
  const [revision] = await sql<{ source: string; reason: string }[]>`
    select source::text as source, reason from reading_revisions
    where meter_id = ${flagged.meterId} and interval_start = ${flagged.intervalStart} order by id desc limit 1`;
  expect(revision).toEqual({ source: 'review', reason: `Accepted ${flagged.flags.join(', ')}: ${reason}` });
});
