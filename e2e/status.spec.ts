import { expect, saveScreenshot, test } from './fixtures';

test('the status page shows Kafka, Postgres and InfluxDB up', async ({ page }, testInfo) => {
  await page.goto('/status');
  await expect(page.getByRole('heading', { level: 1, name: 'System status' })).toBeVisible();

  for (const name of ['Kafka', 'Postgres', 'InfluxDB']) {
    const card = page.getByRole('article', { name });
    await expect(card.getByText('Up', { exact: true })).toBeVisible();
    await expect(card.getByText(/\d+ ms/)).toBeVisible();
  }
  await expect(page.getByText('All services are up')).toBeVisible();
  await saveScreenshot(page, testInfo, 'status');
});

test('the status page is public: no sign-in needed', async ({ page }) => {
  const response = await page.goto('/status');
  expect(new URL(page.url()).pathname).toBe('/status');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
});
