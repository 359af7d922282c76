import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { credentialsFor, type DemoRole } from './env';

export { expect };

/** Where each role lands after signing in (apps/web `homeFor`). */
export const homeOf: Record<DemoRole, string> = {
  operator: '/ops',
  admin: '/ops',
  agent: '/service',
  customer: '/usage',
};

export async function fillSignInForm(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A full-page screenshot kept as a file in the test's output folder and attached to the report. */
export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/**
 * Waits until every ECharts chart on the page has drawn (`data-chart-state="finished"`, set on the
 * chart's `finished` event), so assertions and screenshots see the drawn chart and not empty axes.
 */
export async function chartsDrawn(page: Page): Promise<void> {
  const charts = page.locator('[data-chart]');
  // The first visit after the server starts fills its InfluxDB bucket cache; on a loaded CI machine that
  // takes longer than the default 10 s.
  await expect(charts.first()).toBeVisible({ timeout: 30_000 });
  for (const chart of await charts.all()) {
    await expect(chart).toHaveAttribute('data-chart-state', 'finished', { timeout: 30_000 });
  }
}

interface Fixtures {
  /** Signs in through the sign-in page as the demo user of `role` and waits for that role's start page. */
  signInAs: (role: DemoRole) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  signInAs: async ({ page }, use) => {
    await use(async (role) => {
      const { email, password } = credentialsFor(role);
      await page.goto('/sign-in');
      await fillSignInForm(page, email, password);
      await page.waitForURL((url) => url.pathname === homeOf[role]);
    });
  },
});
