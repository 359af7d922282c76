/**
 * npm run jobs -- <job> [args]: requests a batch job run, follows its progress and log until it ends,
 * and exits 0 when it completed. A running worker (npm run worker) carries it out; when none is working
 * that queue, or with --here, this process runs it itself. Ctrl-C asks the run to stop.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb, type Sql } from '@meterops/db/client';
import {
  enqueueJob,
  getJobRun,
  jobNames,
  listJobRuns,
  requestCancel,
  type JobName,
  type JobRun,
} from '@meterops/db/queries/jobs';
import { batchSettingNames, veeDryRun, type BatchSettings } from '@meterops/db/queries/vee';
import { PgBoss } from 'pg-boss';
import { pino } from 'pino';
import { env } from '../env';
import { JobRunner } from '../jobs/runner';
import { createKafka } from '../kafka';
import { lifecycleSettings } from '../lifecycle';

const usage = `usage: npm run jobs -- <command> [options]
  finalize-day    --day YYYY-MM-DD [--meter ID]...     finalize a closed local day (all meters, or these)
  estimate-gaps   --day YYYY-MM-DD [--meter ID]...     estimate a day's gaps ahead of finalizing it
  reprocess       --from DAY --to DAY [--meter ID]...  recompute those days as final
  reprocess-queue [--limit N]                          recompute the (meter, day) keys queued by late data
  nightly         [--grace-hours H]                    finalize due days, then the reprocess queue
  replay          --from OFFSET|INSTANT [--partitions 0,1,…]
                                                       re-read the readings topic through ingest (also: npm run replay)
  housekeeping    [--retention-hours H]                delete expired sessions and old sign-in attempts
  archive         [--before YYYY-MM] [--purge-before YYYY-MM]
                                                       archive months past retention (see npm run archive)
  retention       [--rejected-days N] [--job-log-days N]
                                                       delete resolved rejects and old job logs
  settlement-run  --day DAY --region R [--type initial|r1|r2|rf]
                                                       one settlement run of a local day and region
  settlement-due  [--lookback-days N]                  every settlement run the timetable asks for by now
  forecast        [--issue-day DAY] [--region-days N] [--meter-days N] [--weather simulated|stored]
                                                       forecast regions half-hourly and meters daily from DAY on
  vee-dry-run     --meter ID --day DAY [--set NAME=VALUE]... [--json]
                                                       what the rules would flag and estimate; changes nothing
  list [--limit N]   show RUN_ID   cancel RUN_ID
options for jobs: --detach (request it and return)  --here (run it in this process even if a worker is up)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    day: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    meter: { type: 'string', multiple: true },
    limit: { type: 'string' },
    'grace-hours': { type: 'string' },
    partitions: { type: 'string' },
    'retention-hours': { type: 'string' },
    before: { type: 'string' },
    'purge-before': { type: 'string' },
    'rejected-days': { type: 'string' },
    'job-log-days': { type: 'string' },
    region: { type: 'string' },
    type: { type: 'string' },
    'lookback-days': { type: 'string' },
    'issue-day': { type: 'string' },
    'region-days': { type: 'string' },
    'meter-days': { type: 'string' },
    weather: { type: 'string' },
    set: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    detach: { type: 'boolean', default: false },
    here: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const [command, argument] = positionals;
if (values.help || command === undefined) {
  console.log(usage);
  process.exit(command === undefined && !values.help ? 2 : 0);
}

const actor = `cli:${userInfo().username}`;
const { sql, close } = createDb({
  url: env.WORKER_DATABASE_URL,
  max: 4,
  applicationName: 'meterops-jobs-cli',
});
let exitCode = 0;
try {
  if (command === 'vee-dry-run') exitCode = await dryRun(sql);
  else if (command === 'list') exitCode = await list(sql);
  else if (command === 'show') exitCode = await show(sql, argument ?? fail('show needs a run id'));
  else if (command === 'cancel') exitCode = await cancel(sql, argument ?? fail('cancel needs a run id'));
  else if ((jobNames as string[]).includes(command)) exitCode = await runJob(sql, command as JobName);
  else fail(`unknown command "${command}"`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await close();
}
process.exit(exitCode);

function jobParams(name: JobName): Record<string, unknown> {
  const meterIds = values.meter && values.meter.length > 0 ? values.meter : undefined;
  const number = (flag: string, raw: string | undefined) => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) fail(`--${flag} must be a number, got "${raw}"`);
    return value;
  };
  switch (name) {
    case 'finalize-day':
    case 'estimate-gaps':
      return { day: values.day ?? fail(`${name} needs --day`), meterIds };
    case 'reprocess':
      return { from: values.from ?? fail('reprocess needs --from'), to: values.to ?? values.from, meterIds };
    case 'reprocess-queue':
      return { limit: number('limit', values.limit) };
    case 'nightly':
      return { graceHours: number('grace-hours', values['grace-hours']) };
    case 'replay':
      return {
        from: values.from ?? fail('replay needs --from OFFSET or --from INSTANT'),
        partitions: values.partitions
          ?.split(',')
          .map((part) => part.trim())
          .filter(Boolean)
          .map((part) => number('partitions', part)),
      };
    case 'housekeeping':
      return { attemptRetentionHours: number('retention-hours', values['retention-hours']) };
    case 'archive':
      return { before: values.before, purgeBefore: values['purge-before'] };
    case 'settlement-run':
      return {
        day: values.day ?? fail('settlement-run needs --day'),
        region: values.region ?? fail('settlement-run needs --region'),
        runType: values.type,
      };
    case 'settlement-due':
      return { lookbackDays: number('lookback-days', values['lookback-days']) };
    case 'retention':
      return {
        rejectedDays: number('rejected-days', values['rejected-days']),
        jobLogDays: number('job-log-days', values['job-log-days']),
      };
    case 'forecast':
      return {
        issueDay: values['issue-day'],
        regionHorizonDays: number('region-days', values['region-days']),
        meterHorizonDays: number('meter-days', values['meter-days']),
        weather: values.weather,
      };
  }
}

async function runJob(sql: Sql, name: JobName): Promise<number> {
  const params = JSON.parse(JSON.stringify(jobParams(name))) as Record<string, unknown>;
  const run = await enqueueJob(sql, { name, params, startedBy: actor });
  console.log(`run ${run.id}: ${name} ${JSON.stringify(params)} requested by ${actor}`);
  if (values.detach) return 0;

  const log = pino({ level: 'warn' });
  let runner: JobRunner | null = null;
  if (values.here || !(await workerServes(name))) {
    console.log(
      values.here ? 'running it in this process (--here)' : 'no worker serves this queue; running it here',
    );
    runner = new JobRunner({
      databaseUrl: env.WORKER_DATABASE_URL,
      sql,
      log,
      metrics: null,
      workerId: `cli-${process.pid}`,
      concurrency: 1,
      schedules: null,
      finalizeGraceHours: env.JOBS_FINALIZE_GRACE_HOURS,
      lifecycle: lifecycleSettings(env),
      queues: [name],
      ingest: {
        kafka: createKafka({ brokers: env.KAFKA_BROKERS, clientId: `meterops-jobs-cli-${process.pid}` }),
        topic: env.READINGS_TOPIC,
        groupId: env.CONSUMER_GROUP,
      },
    });
    await runner.start();
  }

  let interrupted = 0;
  const onInterrupt = () => {
    interrupted += 1;
    if (interrupted > 1) process.exit(130);
    console.log('\nasking the run to stop (Ctrl-C again to leave it running and exit)');
    void requestCancel(sql, { id: run.id, actor });
  };
  process.on('SIGINT', onInterrupt);
  try {
    const finished = await follow(sql, run.id);
    return finished.status === 'completed' ? 0 : finished.status === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', onInterrupt);
    await runner?.stop();
  }
}

/** True when a live pg-boss instance (a worker) is working on the queue. */
async function workerServes(name: JobName): Promise<boolean> {
  const boss = new PgBoss({
    connectionString: env.WORKER_DATABASE_URL,
    schema: 'pgboss',
    createSchema: false,
    max: 1,
    schedule: false,
    supervise: false,
    application_name: 'meterops-jobs-cli',
  });
  boss.on('error', () => {});
  await boss.start();
  try {
    const instances = await boss.getInstances();
    return instances.some(
      (instance) => instance.live && instance.workers.some((worker) => worker.queue === name),
    );
  } finally {
    await boss.stop({ graceful: false });
  }
}

/** Prints progress and new log lines until the run ends. */
async function follow(sql: Sql, id: string): Promise<JobRun> {
  let lastLog = 0;
  let lastProgress = '';
  let lastPrint = 0;
  for (;;) {
    const run = await getJobRun(sql, { id, logLimit: 200 });
    if (run === null) throw new Error(`run ${id} disappeared`);
    for (const line of run.logs.filter((entry) => entry.id > lastLog)) {
      console.log(`${line.at.toISOString()} ${line.level.padEnd(5)} ${line.message}`);
      lastLog = line.id;
    }
    const progress =
      run.progressTotal > 0
        ? `${run.progressDone}/${run.progressTotal} ${run.progressUnit} (${Math.floor((100 * run.progressDone) / run.progressTotal)}%)`
        : '';
    const status = `${run.status}${progress ? ` ${progress}` : ''}`;
    if (status !== lastProgress && (Date.now() - lastPrint > 1_000 || run.status !== 'running')) {
      console.log(`[${run.name}] ${status}`);
      lastProgress = status;
      lastPrint = Date.now();
    }
    if (run.status === 'completed' || run.status === 'failed' || run.status === 'cancelled') {
      if (run.error) console.log(`error: ${run.error}`);
      if (run.result) console.log(`result: ${JSON.stringify(run.result, null, 2)}`);
      return run;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function list(sql: Sql): Promise<number> {
  const runs = await listJobRuns(sql, { limit: Number(values.limit ?? 20) });
  for (const run of runs) {
    const progress =
      run.progressTotal > 0 ? `${run.progressDone}/${run.progressTotal} ${run.progressUnit}` : '';
    console.log(
      `${run.id}  ${run.createdAt.toISOString()}  ${run.name.padEnd(15)} ${run.status.padEnd(9)} ${progress.padEnd(24)} ${run.startedBy}`,
    );
  }
  return 0;
}

async function show(sql: Sql, id: string): Promise<number> {
  const run = await getJobRun(sql, { id });
  if (run === null) {
    console.error(`no run ${id}`);
    return 1;
  }
  const { logs, ...rest } = run;
  console.log(JSON.stringify(rest, null, 2));
  for (const line of logs) console.log(`${line.at.toISOString()} ${line.level.padEnd(5)} ${line.message}`);
  return 0;
}

async function cancel(sql: Sql, id: string): Promise<number> {
  const run = await requestCancel(sql, { id, actor });
  if (run === null) {
    console.error(`no run ${id}`);
    return 1;
  }
  console.log(`run ${run.id} is ${run.status}${run.cancelRequestedAt ? ' (cancellation requested)' : ''}`);
  return 0;
}

async function dryRun(sql: Sql): Promise<number> {
  const meterId = values.meter?.[0] ?? fail('vee-dry-run needs --meter');
  const day = values.day ?? fail('vee-dry-run needs --day');
  const overrides: Partial<BatchSettings> = {};
  for (const assignment of values.set ?? []) {
    const [name, raw] = assignment.split('=');
    if (name === undefined || raw === undefined || !(batchSettingNames as string[]).includes(name)) {
      fail(`--set needs NAME=VALUE with NAME one of ${batchSettingNames.join(', ')}`);
    }
    overrides[name as keyof BatchSettings] = Number(raw);
  }
  const result = await veeDryRun(sql, { meterId, day, overrides });
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  console.log(`VEE dry run for ${meterId} on ${day} (nothing is changed)`);
  const { completeness: c } = result;
  console.log(
    `expected ${c.expected}, measured ${c.measured}, estimated ${c.estimated}, missing ${c.missing}; ` +
      `flag changes ${result.flagChanges}; left unfilled after estimation ${result.unfilled}`,
  );
  for (const interval of result.intervals) {
    const stored = interval.kwh === null ? 'missing' : `${interval.kwh} ${interval.quality}`;
    const flags = interval.flags.length > 0 ? ` flags: ${interval.flags.join(',')}` : '';
    const was =
      interval.storedFlags.join(',') !== interval.flags.join(',')
        ? ` (stored: ${interval.storedFlags.join(',') || 'none'})`
        : '';
    const estimate = interval.estimate
      ? ` → ${interval.change} ${interval.estimate.kwh} (${interval.estimate.method})`
      : '';
    if (flags || was || interval.change !== 'none' || interval.kwh === null) {
      console.log(`  ${interval.intervalStart}  ${stored}${flags}${was}${estimate}`);
    }
  }
  console.log(`settings: ${JSON.stringify(result.settings)}`);
  return 0;
}
