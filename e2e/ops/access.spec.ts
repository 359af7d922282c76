import { expect, saveScreenshot, test } from '../fixtures';

const pages = ['/ops/pipeline', '/ops/completeness', '/ops/consumption', '/ops/rejects'];
const procedure = (path: string, input: unknown) =>
  `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;

test('a customer is refused every operations page and procedure', async ({ page, signInAs }, testInfo) => {
  await signInAs('customer');
  for (const path of pages) {
    await page.goto(path);
    await page.waitForURL((url) => url.pathname === '/usage');
  }
  await expect(
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operations' }),
  ).toHaveCount(0);
  const answers = await Promise.all([
    page.request.get(procedure('pipeline.consumers', { range: '1h' })),
    page.request.get(procedure('rejects.list', { page: 1 })),
    page.request.get(procedure('consumption.filters', undefined)),
  ]);
  expect(answers.map((answer) => answer.status())).toEqual([403, 403, 403]);
  await saveScreenshot(page, testInfo, 'customer-refused');
});

test('a signed-out visitor is sent to sign in and the procedures answer 401', async ({ page }, testInfo) => {
  for (const path of pages) {
    await page.goto(path);
    await expect(page).toHaveURL(new RegExp(`/sign-in\\?next=${encodeURIComponent(path)}$`));
  }
  const answer = await page.request.get(
    procedure('completeness.overview', { from: '2026-11-01', to: '2026-11-02' }),
  );
  expect(answer.status()).toBe(401);
  await saveScreenshot(page, testInfo, 'signed-out');
});

test('an administrator sees the operations pages', async ({ page, signInAs }) => {
  await signInAs('admin');
  await page.goto('/ops/rejects');
  await expect(page.getByRole('heading', { level: 1, name: 'Rejected readings' })).toBeVisible();
  await page
    .getByRole('navigation', { name: 'Operations' })
    .getByRole('link', { name: 'Pipeline health' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Pipeline health' })).toBeVisible();
});
