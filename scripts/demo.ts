/**
 * `npm run demo`: MeterOps running with demo data, left running.
 *   stack up → migrate → seed the fleet and demo users → build the web app (once) → start the worker
 *   (supervised: restarted with backoff whenever it exits) and web in the background → backfill the last days through Kafka (with a sprinkling of faults) → run the
 *   nightly batch, which finalizes the days that ended a day ago → keep a live simulator sending each
 *   interval as it ends.
 * `npm run demo -- stop` stops the worker, web and simulator (the stack keeps running: `npm run stack -- down`).
 * Options: --meters N (default 2000), --days D of backfill (default 7), --rebuild (build the web app again).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadEnv, REPO_ROOT } from './lib/env';
import {
  hideKafkajsTimeoutWarning,
  runCommand,
  startProcess,
  stopDetached,
  waitForHttp,
  waitForLog,
} from './lib/processes';
import { appRoleEnvVars, ensureStackUp, stackEnvVars } from './lib/stack';

hideKafkajsTimeoutWarning();

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    meters: { type: 'string', default: '2000' },
    days: { type: 'string', default: '7' },
    rebuild: { type: 'boolean', default: false },
  },
});
const say = (line: string) => console.log(`[demo] ${line}`);
const env = loadEnv();
const logsDir = path.join(env.METEROPS_STATE_DIR, 'logs');
const demoProcesses = ['simulator', 'worker', 'web'] as const;

if (positionals[0] === 'stop') {
  for (const name of demoProcesses) await stopDetached(logsDir, name, say);
  say('worker, web and simulator stopped; the stack is still up (npm run stack -- down stops it)');
  process.exit(0);
}
if (positionals.length > 0) {
  console.error('usage: npm run demo [-- --meters N --days D --rebuild] | npm run demo -- stop');
  process.exit(2);
}

function run(step: string, command: string[], extraEnv: Record<string, string>): void {
  say(step);
  const code = runCommand(command, extraEnv);
  if (code !== 0) {
    console.error(`[demo] ${step} failed (exit ${code})`);
    process.exit(1);
  }
}

const info = await ensureStackUp({ say });
// The demo serves plain http on this machine: a Secure (`__Host-`) cookie would not be kept there.
const appEnv = { ...stackEnvVars(info), WEB_PORT: String(env.WEB_PORT), SESSION_COOKIE_SECURE: 'false' };
run('applying migrations', ['npm', 'run', 'db:migrate'], appEnv);
run(
  `seeding ${values.meters} meters and the demo users`,
  // --demo: the demo users (published password) are wanted here, whatever NODE_ENV says.
  ['npm', 'run', 'db:seed', '--', '--meters', values.meters, '--demo'],
  appEnv,
);

// Web and worker run as the least-privileged roles; migrate and seed above ran as the owner.
const roles = appRoleEnvVars(env, info.postgres.url);
const webEnv = { ...appEnv, WEB_DATABASE_URL: roles.WEB_DATABASE_URL };
const workerEnv = { ...appEnv, WORKER_DATABASE_URL: roles.WORKER_DATABASE_URL };

const buildId = path.join(REPO_ROOT, 'apps', 'web', '.next', 'BUILD_ID');
if (values.rebuild || !fs.existsSync(buildId)) {
  run(
    'building the web app (once; --rebuild builds again)',
    ['npm', 'run', 'build', '-w', '@meterops/web'],
    appEnv,
  );
}

for (const name of demoProcesses) await stopDetached(logsDir, name, say);
// Supervised: a worker that exits for any reason is started again, with backoff (scripts/supervise.ts).
const worker = startProcess({
  name: 'worker',
  command: [
    'tsx',
    'scripts/supervise.ts',
    '--name',
    'worker',
    '--',
    'npm',
    'run',
    'start',
    '-w',
    '@meterops/worker',
  ],
  env: workerEnv,
  logsDir,
  detached: true,
});
await waitForLog(worker, 'partitions assigned', 120_000);
say(`worker running (log ${path.relative(REPO_ROOT, worker.logFile)})`);
const web = startProcess({
  name: 'web',
  command: ['npm', 'run', 'start', '-w', '@meterops/web'],
  env: webEnv,
  logsDir,
  detached: true,
});

run(
  `backfilling ${values.days} days of ${values.meters} meters through Kafka`,
  [
    'npm',
    'run',
    'simulate',
    '-w',
    '@meterops/worker',
    '--',
    '--meters',
    values.meters,
    '--days',
    values.days,
    '--faults',
    'all',
    '--fault-rate',
    '0.01',
    '--wait',
  ],
  appEnv,
);
// What the 02:30 nightly would have done on the backfilled days, so the portal shows final days beside
// the provisional ones of yesterday and today from the start. The running worker carries it out.
run(
  'finalizing the closed days as the nightly batch does',
  ['npm', 'run', 'jobs', '--', 'nightly'],
  workerEnv,
);
const simulator = startProcess({
  name: 'simulator',
  command: [
    'npm',
    'run',
    'simulate',
    '-w',
    '@meterops/worker',
    '--',
    '--meters',
    values.meters,
    '--days',
    '0',
    '--follow',
  ],
  env: appEnv,
  logsDir,
  detached: true,
});
await waitForHttp(`http://127.0.0.1:${env.WEB_PORT}/sign-in`, web, 120_000);

console.log(`
MeterOps is running.
  web        http://127.0.0.1:${env.WEB_PORT}   (status page: /status)
  sign in    operator@meterops.test, agent@meterops.test, admin@meterops.test, customer@meterops.test
             password: meterops-demo
  live data  the simulator sends every meter's intervals as they end
  logs       ${path.relative(REPO_ROOT, logsDir)}/{worker,web,simulator}.log
  stop       npm run demo -- stop        (apps)   ·   npm run stack -- down   (Kafka, InfluxDB)
`);
void simulator;
process.exit(0);
