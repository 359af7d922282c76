import { defineConfig, devices } from '@playwright/test';
import { baseURL, isCI } from './env';

const browser = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

/**
 * Runs against a web app (and worker) that is already running: the test orchestrator starts them, so
 * there is no `webServer` block. Debian's Chromium is used as installed; no browser download.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: './test-results',
  fullyParallel: false,
  forbidOnly: isCI,
  retries: 0,
  workers: 1,
  reporter: [['list'], ['html', { outputFolder: './playwright-report', open: 'never' }]],
  // The operations specs compare hundreds of numbers with the database in one test.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testIgnore: '**/admin/registry.spec.ts',
      use: browser,
    },
    {
      // Registering a meter and re-driving its quarantined readings adds readings, rejects and aggregates
      // that the other specs' comparisons with the scenario manifest would count: it runs after them.
      name: 'registry',
      testMatch: '**/admin/registry.spec.ts',
      dependencies: ['chromium'],
      use: browser,
    },
  ],
});
