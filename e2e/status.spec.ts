import { expect, saveScreenshot, test } from './fixtures';

test('the status page shows a signed-out visitor Kafka, Postgres and InfluxDB up, and nothing more', async ({
  page,
}, testInfo) => {
  await page.goto('/status');
  await expect(page.getByRole('heading', { level: 1, name: 'System status' })).toBeVisible();

  for (const name of ['Kafka', 'Postgres', 'InfluxDB']) {
    const card = page.getByRole('article', { name });
    await expect(card.getByText('Up', { exact: true })).toBeVisible();
    // Addresses, versions and latencies are for staff (issue 12, finding 6).
    await expect(card.getByText(/\d+ ms/)).toHaveCount(0);
    await expect(card.getByText('Address')).toHaveCount(0);
  }
  await expect(page.getByText('All services are up')).toBeVisible();
  await saveScreenshot(page, testInfo, 'status');
});

test('the status page shows staff the address, latency and version of each service', async ({
  page,
  signInAs,
}) => {
  await signInAs('operator');
  await page.goto('/status');
  for (const name of ['Kafka', 'Postgres', 'InfluxDB']) {
    const card = page.getByRole('article', { name });
    await expect(card.getByText('Up', { exact: true })).toBeVisible();
    await expect(card.getByText(/\d+ ms/)).toBeVisible();
  }
  await expect(page.getByRole('article', { name: 'Postgres' }).getByText(/^PostgreSQL \d+/)).toBeVisible();
});

test('the status page is public: no sign-in needed', async ({ page }) => {
  const response = await page.goto('/status');
  expect(new URL(page.url()).pathname).toBe('/status');
  expect(response?.status()).toBe(200);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
});
