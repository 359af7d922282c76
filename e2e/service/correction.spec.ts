import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';
import { addKwh, correctionTarget, daily, DEMO_METER, formatDecimal, londonTime, reading } from './data';

test('an agent corrects a reading; after reprocessing the customer sees the new value and the revision is listed', async ({
  page,
  signInAs,
}, testInfo) => {
  test.setTimeout(180_000);
  const target = await correctionTarget();
  const iso = target.intervalStart.toISOString();
  // A new value every run, so the correction always changes something.
  const newKwh = addKwh(target.kwh, '0.1111');
  const reason = `Customer photo of the register, e2e run ${Date.now()}`;

  // The agent finds the customer's meter and opens the day.
  await signInAs('agent');
  await page.getByLabel('Meter id, customer id, name or email').fill('Household 000001');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: DEMO_METER }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Meter ${DEMO_METER}` })).toBeVisible();
  await page.getByLabel('Day (meter’s local day)').fill(target.day);
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  const row = page.locator(`tr[data-interval="${iso}"]`);
  await expect(row).toContainText(formatDecimal(target.kwh));
  await row.getByRole('button', { name: /^Correct/ }).click();

  // The server's validation answers next to the field, never with a stack trace.
  const form = page.locator('[data-panel="correction"]');
  await form.getByLabel('New value (kWh)').fill(newKwh);
  await form.getByLabel('Reason').fill('typo');
  await form.getByRole('button', { name: 'Save correction' }).click();
  const reasonField = form.getByLabel('Reason');
  await expect(reasonField).toHaveAttribute('aria-invalid', 'true');
  const reasonError = form.locator(`#${await reasonField.getAttribute('aria-describedby')}`);
  await expect(reasonError).toHaveText(/at least 10 characters/);
  await expect(page.getByText(/at [a-z]+ \(.*\.tsx?:\d+/)).toHaveCount(0);
  await saveScreenshot(page, testInfo, 'correction-field-error');

  await reasonField.fill(reason);
  await form.getByRole('button', { name: 'Save correction' }).click();
  const result = page.locator('[data-result="correction"]');
  await expect(result).toContainText(`Saved as version ${target.version + 1}`);
  await expect(result).toContainText(formatDecimal(newKwh));
  await expect(result.locator('[data-level="daily"]')).toContainText(`${DEMO_METER} ${target.day}`);
  const history = page.locator('[data-list="revisions"]');
  await expect(history.locator('li').first()).toContainText(reason);
  await expect(history.locator('li').first()).toContainText(
    `${formatDecimal(target.kwh)} → ${formatDecimal(newKwh)}`,
  );
  await expect(row).toContainText('Edited');
  expect(await reading(DEMO_METER, target.intervalStart)).toMatchObject({
    kwh: newKwh,
    quality: 'edited',
    version: target.version + 1,
  });
  await saveScreenshot(page, testInfo, 'correction-saved');

  // An administrator reprocesses the meter's day and follows the run to its end.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await signInAs('admin');
  await page.goto('/admin/jobs');
  await page.getByLabel('First day').fill(target.day);
  await page.getByLabel('Last day').fill(target.day);
  await page.getByLabel('Meter ids').fill(DEMO_METER);
  await page.getByRole('button', { name: 'Start reprocessing' }).click();
  await page.waitForURL(/\/admin\/jobs\/[0-9a-f-]{36}$/);
  await expect(page.locator('[data-run]')).toHaveAttribute('data-status', 'completed', { timeout: 120_000 });
  await expect(page.getByRole('progressbar')).toHaveAttribute('aria-valuetext', '1 of 1 days');

  // The customer sees the corrected value in the final day.
  const final = await daily(DEMO_METER, target.day);
  expect(final.status).toBe('final');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await signInAs('customer');
  await page.goto(
    `/usage?${new URLSearchParams({ meter: DEMO_METER, view: 'day', day: target.day }).toString()}`,
  );
  // The first answer can take a while on a busy machine; the charts' own wait follows.
  await expect(page.locator('[data-chart]').first()).toBeVisible({ timeout: 60_000 });
  await chartsDrawn(page);
  const customerRow = page.locator(`tr[data-interval="${iso}"]`);
  await expect(customerRow).toContainText(londonTime(target.intervalStart));
  await expect(customerRow).toContainText(formatDecimal(newKwh));
  await expect(customerRow).toContainText('Corrected');
  await expect(page.locator('[data-stat="total"]')).toContainText(`${formatDecimal(final.kwh)} kWh`);
  await expect(page.locator('.status-note')).toHaveAttribute('data-status', 'final');
  await saveScreenshot(page, testInfo, 'customer-sees-correction');
});
