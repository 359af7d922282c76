import { expect, saveScreenshot, test } from '../fixtures';
import { sql } from '../service/data';

test('an administrator starts reprocessing for meters over a range and follows it to completion', async ({
  page,
  signInAs,
}, testInfo) => {
  test.setTimeout(180_000);
  // The three newest days with data, for the first three meters of the fleet.
  const days = await sql<{ day: string }[]>`
    select distinct to_char(day, 'YYYY-MM-DD') as day from meter_usage_daily
    where day < (now() at time zone 'UTC')::date order by 1 desc limit 3`;
  const to = days[0]?.day;
  const from = days.at(-1)?.day;
  if (!to || !from) throw new Error('no day with data; ingest a simulation first');
  const meters = ['MTR-000001', 'MTR-000002', 'MTR-000003'];

  await signInAs('admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Jobs' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Jobs' })).toBeVisible();

  // A meter id that does not exist is refused next to the field.
  await page.getByLabel('First day').fill(from);
  await page.getByLabel('Last day').fill(to);
  await page.getByLabel('Meter ids').fill(`${meters.join(', ')}, MTR-NOPE`);
  await page.getByRole('button', { name: 'Start reprocessing' }).click();
  await expect(page.getByLabel('Meter ids')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('Unknown meter: MTR-NOPE')).toBeVisible();

  await page.getByLabel('Meter ids').fill(meters.join('\n'));
  await page.getByRole('button', { name: 'Start reprocessing' }).click();
  await page.waitForURL(/\/admin\/jobs\/[0-9a-f-]{36}$/);
  const runId = page.url().split('/').at(-1) ?? '';
  const run = page.locator('[data-run]');
  await expect(
    page.getByRole('heading', { name: `Reprocess days: ${from} → ${to}, 3 meters` }),
  ).toBeVisible();

  // Progress moves to the end, live: the page polls until the run is finished.
  await expect(run).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  const progress = page.getByRole('progressbar');
  await expect(progress).toHaveAttribute('aria-valuenow', String(days.length));
  await expect(progress).toHaveAttribute('aria-valuemax', String(days.length));
  await expect(page.locator('[data-list="log"] li').first()).toBeVisible();
  const [stored] = await sql<{ status: string; done: number; total: number }[]>`
    select status, progress_done as done, progress_total as total from job_runs where id = ${runId}`;
  expect(stored).toEqual({ status: 'completed', done: days.length, total: days.length });
  const finalRows = await sql<{ count: number }[]>`
    select count(*)::int as count from meter_usage_daily
    where meter_id = any(${meters}) and day between ${from}::date and ${to}::date and status = 'final'`;
  expect(finalRows[0]?.count).toBe(meters.length * days.length);
  await saveScreenshot(page, testInfo, 'reprocess-completed');

  // The job list shows it with its status, progress and duration.
  await page.getByRole('link', { name: '← All job runs' }).click();
  const listed = page.locator(`tr[data-run="${runId}"]`);
  await expect(listed).toHaveAttribute('data-status', 'completed');
  await expect(listed.getByRole('progressbar')).toHaveAttribute(
    'aria-valuetext',
    `${days.length} of ${days.length} days`,
  );
  await saveScreenshot(page, testInfo, 'job-list');
});

test('an administrator sees billing alerts and manages users', async ({ page, signInAs }, testInfo) => {
  await signInAs('admin');
  await page.goto('/admin/billing');
  await expect(page.getByRole('heading', { level: 1, name: 'Billing alerts' })).toBeVisible();
  await saveScreenshot(page, testInfo, 'billing-alerts');

  await page.goto('/admin/users');
  const email = `e2e-${Date.now()}@meterops.test`;
  await page.getByLabel('Name').fill('E2E Agent');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Initial password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByLabel('Initial password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('At least 12 characters', { exact: true })).toBeVisible();
  await page.getByLabel('Initial password').fill('a long enough password');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Created ${email}` })).toBeVisible();
  await expect(page.locator(`tr[data-user="${email}"]`)).toContainText('Customer service');

  // The signed-in administrator cannot take away their own role.
  await page.getByRole('button', { name: 'Change role of admin@meterops.test' }).click();
  await page
    .locator('tr[data-user="admin@meterops.test"]')
    .getByLabel('Role', { exact: true })
    .selectOption('agent');
  await page.getByRole('button', { name: 'Save role' }).click();
  await expect(
    page.getByText('You cannot remove your own administrator role; ask another administrator'),
  ).toBeVisible();
  await saveScreenshot(page, testInfo, 'users');
  await sql`delete from users where email = ${email}`;
});
