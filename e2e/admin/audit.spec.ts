import { expect, saveScreenshot, test } from '../fixtures';
import { sql } from '../service/data';

test('an administrator finds a job start in the audit trail, with who and from where', async ({
  page,
  signInAs,
  baseURL,
}, testInfo) => {
  await signInAs('admin');
  // A job start through the API the jobs page uses; the reprocess queue pass is harmless when empty.
  const origin = new URL(baseURL ?? page.url()).origin;
  const started = await page.request.post('/api/trpc/jobs.start', {
    headers: { origin, 'content-type': 'application/json' },
    data: { json: { name: 'reprocess-queue' } },
  });
  expect(started.status()).toBe(200);
  const runId = ((await started.json()) as { result: { data: { json: { id: string } } } }).result.data.json
    .id;

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page
    .getByRole('navigation', { name: 'Administration' })
    .getByRole('link', { name: 'Audit trail' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();

  await page.getByLabel('Action').selectOption({ label: 'Job started' });
  await page.getByLabel('Target id').fill(runId);
  await page.getByRole('button', { name: 'Apply' }).click();
  const rows = page.locator('[data-table="staff-audit"] tbody tr');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toHaveAttribute('data-action', 'job.started');
  await expect(rows.first()).toContainText('admin@meterops.test');
  await expect(rows.first()).toContainText(runId);

  // The page shows what the database holds.
  const [stored] = await sql<{ actor: string; client_address: string | null }[]>`
    select actor, client_address from staff_audit where action = 'job.started' and target_id = ${runId}`;
  expect(stored?.actor).toBe('admin@meterops.test');
  expect(stored?.client_address).toBeTruthy();
  await expect(rows.first()).toContainText(stored?.client_address ?? '');
  await saveScreenshot(page, testInfo, 'audit-trail');

  // A range that ends before it starts is refused next to the field.
  await page.getByLabel('From').fill('2026-02-02');
  await page.getByLabel('To', { exact: true }).fill('2026-02-01');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByLabel('To', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText('The range must not end before it starts')).toBeVisible();
});

test('the audit trail is for administrators only', async ({ page, signInAs }) => {
  await signInAs('operator');
  await page.goto('/admin/audit');
  await page.waitForURL((url) => url.pathname === '/ops');
});
