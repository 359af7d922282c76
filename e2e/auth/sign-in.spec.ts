import { credentialsFor } from '../env';
import { expect, fillSignInForm, saveScreenshot, test } from '../fixtures';

test('a wrong password shows an error and stays on the sign-in page', async ({ page }, testInfo) => {
  const { email } = credentialsFor('operator');
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in to MeterOps' })).toBeVisible();
  await saveScreenshot(page, testInfo, 'sign-in');

  await fillSignInForm(page, email, 'definitely-not-the-password');
  await expect(page.getByRole('main').getByRole('alert')).toHaveText('Email or password is incorrect');
  expect(new URL(page.url()).pathname).toBe('/sign-in');
  await saveScreenshot(page, testInfo, 'sign-in-error');
});

test('an operator signs in and lands on /ops', async ({ page, signInAs }, testInfo) => {
  await signInAs('operator');
  await expect(page.getByRole('heading', { level: 1, name: 'Operations' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Operations' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'My usage' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await saveScreenshot(page, testInfo, 'ops');
});

test('a signed-out visitor to /ops is sent to sign in, and back to /ops afterwards', async ({ page }) => {
  await page.goto('/ops');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fops$/);
  await expect(page.getByRole('heading', { name: 'Sign in to MeterOps' })).toBeVisible();

  const { email, password } = credentialsFor('operator');
  await fillSignInForm(page, email, password);
  await page.waitForURL((url) => url.pathname === '/ops');
});

test('signing out ends the session', async ({ page, signInAs }) => {
  await signInAs('operator');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in');
  await page.goto('/ops');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fops$/);
});

test('a customer cannot open the operations pages', async ({ page, signInAs }) => {
  await signInAs('customer');
  await page.goto('/ops');
  await page.waitForURL((url) => url.pathname === '/usage');
  await expect(page.getByRole('heading', { level: 1, name: 'My usage' })).toBeVisible();
});
