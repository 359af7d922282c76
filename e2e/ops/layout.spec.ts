import { chartsDrawn, expect, saveScreenshot, test } from '../fixtures';

const pages = [
  { path: '/ops/pipeline', heading: 'Pipeline health', charts: true },
  { path: '/ops/completeness', heading: 'Data completeness', charts: true },
  { path: '/ops/consumption', heading: 'Consumption', charts: true },
  { path: '/ops/rejects', heading: 'Rejected readings', charts: false },
];

test.describe('on a phone', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  for (const { path, heading, charts } of pages) {
    test(`${path} fits the screen`, async ({ page, signInAs }, testInfo) => {
      await signInAs('operator');
      await page.goto(path);
      await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
      if (charts) await chartsDrawn(page);
      else await expect(page.locator('[data-table="rejects"]')).toBeVisible();
      // Wide tables scroll inside their card; the page itself never scrolls sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await saveScreenshot(page, testInfo, `phone-${path.split('/').at(-1) ?? 'ops'}`);
    });
  }
});

test('the operations section is navigable with the keyboard', async ({ page, signInAs }) => {
  await signInAs('operator');
  await page.goto('/ops');
  const nav = page.getByRole('navigation', { name: 'Operations' });
  await nav.getByRole('link', { name: 'Consumption' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Consumption' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Consumption' })).toHaveAttribute('aria-current', 'page');
});
