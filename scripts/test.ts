/**
 * `npm test`: everything, on the real stack. Starts the stack if it is not up, then runs
 *   static   typecheck and lint
 *   unit     vitest project `unit` (pure logic)
 *   integration  vitest project `integration` (real Kafka, Postgres, InfluxDB; each test makes its own data)
 *   e2e      a fresh e2e database and InfluxDB database with a known scenario ingested by a real worker,
 *            the web app built and started, Playwright in Debian's Chromium
 * and prints one summary. `npm test -- unit integration` runs only the named suites; other words are file
 * filters (`npm test -- integration webhooks` runs the integration files whose path contains `webhooks`).
 * Test state never touches the demo: its own databases, topics, consumer group and web port.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { loadEnv, REPO_ROOT } from './lib/env';
import {
  hideKafkajsTimeoutWarning,
  runCommand,
  startProcess,
  waitForHttp,
  waitForLog,
  type StartedProcess,
} from './lib/processes';
import { appRoleEnvVars, recreateInfluxDatabase, ensureStackUp, stackEnvVars } from './lib/stack';

hideKafkajsTimeoutWarning();

const suites = ['static', 'unit', 'integration', 'e2e'] as const;
type Suite = (typeof suites)[number];
const args = process.argv.slice(2).filter((arg) => arg !== '--');
const requested = args.filter((arg) => suites.includes(arg as Suite));
/** Anything else narrows the run: file filters handed to vitest and Playwright (`npm test -- integration api`). */
const filters = args.filter((arg) => !suites.includes(arg as Suite));
for (const filter of filters) {
  if (filter.startsWith('-')) {
    console.error(`unknown option "${filter}"; suites: ${suites.join(', ')}, then optional file filters`);
    process.exit(2);
  }
}
const selected = new Set<Suite>(requested.length > 0 ? (requested as Suite[]) : suites);

const env = loadEnv();
const resultsDir = path.join(env.METEROPS_STATE_DIR, 'test-results');
fs.rmSync(resultsDir, { recursive: true, force: true });
fs.mkdirSync(resultsDir, { recursive: true });
const banner = (title: string) => console.log(`\n━━━━━━━━ ${title} ━━━━━━━━`);

interface Outcome {
  suite: string;
  passed: number;
  failed: number;
  skipped: number;
  ok: boolean;
  note?: string;
}
const outcomes: Outcome[] = [];

const run = runCommand;

if (selected.has('static')) {
  banner('static: typecheck and lint');
  const typecheck = run(['npm', 'run', 'typecheck']);
  const lint = run(['npm', 'run', 'lint']);
  outcomes.push({
    suite: 'static',
    passed: (typecheck === 0 ? 1 : 0) + (lint === 0 ? 1 : 0),
    failed: (typecheck === 0 ? 0 : 1) + (lint === 0 ? 0 : 1),
    skipped: 0,
    ok: typecheck === 0 && lint === 0,
    note: 'typecheck, lint',
  });
}

const needsStack = selected.has('integration') || selected.has('e2e');
const info = needsStack ? (banner('stack'), await ensureStackUp()) : null;
const stackVars = info ? stackEnvVars(info) : {};

function vitest(project: 'unit' | 'integration', extraEnv: Record<string, string> = {}) {
  banner(`${project} tests (vitest)`);
  const report = path.join(resultsDir, `vitest-${project}.json`);
  const code = run(
    [
      'vitest',
      'run',
      '--project',
      project,
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...filters,
    ],
    extraEnv,
  );
  const counts = readJson<{
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
  }>(report);
  outcomes.push({
    suite: project,
    passed: counts?.numPassedTests ?? 0,
    failed: counts?.numFailedTests ?? (code === 0 ? 0 : 1),
    skipped: (counts?.numPendingTests ?? 0) + (counts?.numTodoTests ?? 0),
    ok: code === 0,
  });
}

if (selected.has('unit')) vitest('unit');
if (selected.has('integration')) vitest('integration', { ...stackVars, INFLUX_DB: process.env.TEST_INFLUX_DB ?? 'meterops_test' });
if (selected.has('e2e') && info) await e2e();

banner('summary');
for (const outcome of outcomes) {
  console.log(
    `${outcome.ok ? 'ok  ' : 'FAIL'} ${outcome.suite.padEnd(12)} ${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped${outcome.note ? ` (${outcome.note})` : ''}`,
  );
}
const total = outcomes.reduce(
  (sum, outcome) => ({
    passed: sum.passed + outcome.passed,
    failed: sum.failed + outcome.failed,
    skipped: sum.skipped + outcome.skipped,
  }),
  { passed: 0, failed: 0, skipped: 0 },
);
const allOk = outcomes.every((outcome) => outcome.ok);
console.log(
  `${total.passed} passed, ${total.failed + (allOk || total.failed > 0 ? 0 : 1)} failed, ${total.skipped} skipped`,
);
process.exit(allOk ? 0 : 1);

async function e2e(): Promise<void> {
  banner('e2e: prepare a known scenario');
  if (!fs.existsSync('/usr/bin/chromium')) {
    // Playwright drives Debian's Chromium; browser downloads do not work on these machines.
    console.log("installing Debian's chromium for the end-to-end tests");
    if (run(['apt-get', 'update']) !== 0 || run(['apt-get', 'install', '-y', 'chromium']) !== 0) {
      return failStepEarly('install chromium');
    }
  }
  // Overridable so two checkouts on one machine can run their end-to-end suites side by side.
  const database = process.env.E2E_DATABASE ?? 'meterops_e2e';
  const webPort = process.env.E2E_WEB_PORT ?? '3100';
  const serverUrl = new URL(env.DATABASE_URL);
  const adminUrl = new URL(serverUrl.toString());
  adminUrl.pathname = '/postgres';
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.unsafe(`create database ${database}`);
  await admin.end();
  const e2eUrl = new URL(serverUrl.toString());
  e2eUrl.pathname = `/${database}`;
  // A fresh InfluxDB database, so the pipeline pages show exactly this run's metrics.
  await recreateInfluxDatabase(env.INFLUX_URL, database, env.INFLUX_TOKEN);

  const runId = randomUUID().slice(0, 8);
  const logsDir = path.join(resultsDir, 'logs');
  const appEnv: Record<string, string> = {
    ...stackVars,
    DATABASE_URL: e2eUrl.toString(),
    INFLUX_DB: database,
    READINGS_TOPIC: `e2e.${runId}.readings`,
    DLQ_TOPIC: `e2e.${runId}.readings.dlq`,
    CONSUMER_GROUP: `e2e-${runId}`,
    WEB_PORT: webPort,
    // A free port: the suite does not probe the worker, and a demo's worker may hold 9400.
    WORKER_HEALTH_PORT: '0',
    LAG_REPORT_INTERVAL_MS: '1000',
    // The e2e web app serves plain http: a Secure (`__Host-`) cookie would not be kept there.
    SESSION_COOKIE_SECURE: 'false',
  };
  const manifestPath = path.join(resultsDir, 'e2e-manifest.json');
  const started: StartedProcess[] = [];
  const failStep = (step: string, code: number) => {
    outcomes.push({
      suite: 'e2e',
      passed: 0,
      failed: 1,
      skipped: 0,
      ok: false,
      note: `${step} failed (exit ${code})`,
    });
  };
  try {
    if (run(['npm', 'run', 'db:migrate'], appEnv) !== 0) return failStep('migrate', 1);
    // --demo: the suite signs in with the demo accounts, whatever NODE_ENV the caller has.
    if (run(['npm', 'run', 'db:seed', '--', '--meters', '200', '--demo'], appEnv) !== 0)
      return failStep('seed', 1);
    // Web and worker run as the least-privileged roles, as in production; the suite's own checks
    // (DATABASE_URL) stay with the owner.
    const roles = appRoleEnvVars(env, e2eUrl.toString());
    if (run(['npm', 'run', 'topics', '-w', '@meterops/worker'], appEnv) !== 0) return failStep('topics', 1);
    const worker = startProcess({
      name: 'worker',
      command: ['npm', 'run', 'start', '-w', '@meterops/worker'],
      env: { ...appEnv, WORKER_DATABASE_URL: roles.WORKER_DATABASE_URL },
      logsDir,
    });
    started.push(worker);
    await waitForLog(worker, 'partitions assigned', 90_000);
    const simulateCode = run(
      [
        'npm',
        'run',
        'simulate',
        '-w',
        '@meterops/worker',
        '--',
        '--meters',
        '200',
        '--days',
        '3',
        '--end-day',
        '2026-11-20',
        '--faults',
        'negative,malformed,unknown-meter,spike,gap,resend',
        '--fault-rate',
        '0.02',
        '--seed',
        '3',
        '--manifest',
        manifestPath,
        '--wait',
      ],
      appEnv,
    );
    if (simulateCode !== 0) return failStep('simulate', simulateCode);

    banner('e2e: build and start the web app');
    if (run(['npm', 'run', 'build', '-w', '@meterops/web'], appEnv) !== 0) return failStep('web build', 1);
    const web = startProcess({
      name: 'web',
      command: ['npm', 'run', 'start', '-w', '@meterops/web'],
      env: { ...appEnv, WEB_DATABASE_URL: roles.WEB_DATABASE_URL },
      logsDir,
    });
    started.push(web);
    await waitForHttp(`http://127.0.0.1:${webPort}/sign-in`, web, 120_000);

    banner('e2e: Playwright in Chromium');
    const report = path.join(resultsDir, 'playwright.json');
    const code = run(['playwright', 'test', '-c', 'e2e/playwright.config.ts', '--reporter=list,json', ...filters], {
      ...appEnv,
      E2E_BASE_URL: `http://127.0.0.1:${webPort}`,
      E2E_MANIFEST: manifestPath,
      PLAYWRIGHT_JSON_OUTPUT_FILE: report,
      PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    });
    const stats = readJson<{
      stats: { expected: number; unexpected: number; skipped: number; flaky: number };
    }>(report)?.stats;
    outcomes.push({
      suite: 'e2e',
      passed: (stats?.expected ?? 0) + (stats?.flaky ?? 0),
      failed: stats?.unexpected ?? (code === 0 ? 0 : 1),
      skipped: stats?.skipped ?? 0,
      ok: code === 0,
      note: `logs in ${path.relative(REPO_ROOT, logsDir)}`,
    });
  } catch (error) {
    console.error(error);
    outcomes.push({
      suite: 'e2e',
      passed: 0,
      failed: 1,
      skipped: 0,
      ok: false,
      note: String(error).slice(0, 200),
    });
  } finally {
    for (const process of started.reverse()) await process.stop();
  }
}

function failStepEarly(step: string): void {
  outcomes.push({ suite: 'e2e', passed: 0, failed: 1, skipped: 0, ok: false, note: `${step} failed` });
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
