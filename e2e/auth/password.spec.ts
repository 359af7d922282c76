import { randomUUID } from 'node:crypto';
import { expect, fillSignInForm, saveScreenshot, test } from '../fixtures';

test('every signed-in role reaches the change-password page from the top bar', async ({ page, signInAs }) => {
  await signInAs('customer');
  await page.getByRole('banner').getByRole('link', { name: 'Password' }).click();
  await page.waitForURL((url) => url.pathname === '/account/password');
  await expect(page.getByRole('heading', { level: 1, name: 'Change password' })).toBeVisible();
});

test('an administrator resets a password; the user must choose a new one before anything else', async ({
  page,
  signInAs,
}, testInfo) => {
  const email = `e2e-reset-${randomUUID().slice(0, 8)}@meterops.test`;
  const chosen = 'quartz lantern meadow 64';

  await signInAs('admin');
  await page.goto('/admin/users');
  const create = page.getByRole('region', { name: 'Create a user' });
  await create.getByLabel('Name', { exact: true }).fill('Reset Tester');
  await create.getByLabel('Email', { exact: true }).fill(email);
  await create.getByLabel('Initial password').fill('first granite harbour 5');
  await create.getByLabel('Role').selectOption('agent');
  await create.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Created` })).toBeVisible();

  await page.getByRole('button', { name: `Reset password of ${email}` }).click();
  const resetForm = page.getByRole('form', { name: `Reset password of ${email}` });
  await resetForm.getByRole('button', { name: 'Reset password', exact: true }).click();
  const temporary = page.locator('[data-temporary-password]');
  await expect(temporary).toBeVisible();
  const temporaryPassword = (await temporary.textContent())?.trim() ?? '';
  expect(temporaryPassword.length).toBeGreaterThanOrEqual(20);
  await saveScreenshot(page, testInfo, 'temporary-password');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');

  await fillSignInForm(page, email, temporaryPassword);
  await page.waitForURL((url) => url.pathname === '/account/password');
  await page.goto('/service');
  await page.waitForURL((url) => url.pathname === '/account/password');

  await page.getByLabel('Current password').fill('not the temporary one');
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('New password again').fill(chosen);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('This is not your current password')).toBeVisible();
  await saveScreenshot(page, testInfo, 'change-password-error');

  await page.getByLabel('Current password').fill(temporaryPassword);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL((url) => url.pathname === '/service');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await fillSignInForm(page, email, chosen);
  await page.waitForURL((url) => url.pathname === '/service');
});
