/**
 * The local infrastructure MeterOps runs on: a single-node Kafka broker (KRaft), InfluxDB 1.x and
 * Postgres. `scripts/stack.ts` is the CLI over this module; `scripts/demo.ts` and `scripts/test.ts` call
 * it in-process.
 *
 * Invariants:
 * - Every part can instead be an existing service (KAFKA_BROKERS, INFLUX_URL, DATABASE_URL). A service
 *   that answers is used as it is and never started, stopped or wiped by this module.
 * - A process is "ours" only if its pid file names it and /proc/<pid>/cmdline still shows our own config
 *   path, so a recycled pid or somebody else's broker is never signalled.
 * - State lives under one folder (METEROPS_STATE_DIR, default `.stack/`); `reset` deletes only the names
 *   this module creates there, never the folder as a whole.
 * - `up`, `down` and `reset` hold a lock file in the state folder, so two callers (a test run and a
 *   terminal) cannot both start a broker and leave a pid file naming the loser.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import postgres from 'postgres';
import { kafkaClientSecurity } from '@meterops/domain/transport';
import { loadEnv, REPO_ROOT, type ScriptEnv } from './env';
import { kafkaServerProperties, KAFKA_SCRAM_MECHANISM, scramCredential } from './kafka-config';
import { applyTopicRetention, TOPIC_RETENTION_HOURS } from './kafka-retention';
import { ensureS3proxyUp, s3proxyPaths, s3proxyStatus, stopS3proxy, type S3proxyInfo } from './s3proxy';

// ───────────────────────────── constants ─────────────────────────────

/** Where the managed broker listens; KAFKA_BROKERS must name this address for the stack to start one. */
const KAFKA_PORT = 9092;
/** The SASL_PLAINTEXT (SCRAM-SHA-512) listener, present only with KAFKA_SASL=scram. */
const KAFKA_SCRAM_PORT = 9094;
const KAFKA_CONTROLLER_PORT = 9093;
/** Where the managed InfluxDB listens (HTTP API, and the RPC port used by `influxd backup`). */
const INFLUX_HTTP_PORT = 8086;
const INFLUX_RPC_PORT = 8088;
/** Debian's own cluster listens on 5432; a private cluster moves aside so both can coexist. */
const PG_SYSTEM_PORT = 5432;
const PG_PRIVATE_PORT = 5433;

const KAFKA_POM = path.join(REPO_ROOT, 'infra', 'kafka', 'pom.xml');
/** The JVM shares 2 cores and 24 GiB with Postgres, InfluxDB, workers, Next.js and Chromium. */
const KAFKA_HEAP = ['-Xms256m', '-Xmx768m'];

/** Partition counts: 12 lets up to 12 workers share the readings; rejects are a trickle. */
const READINGS_PARTITIONS = 12;
const DLQ_PARTITIONS = 3;

const DEFAULT_TIMEOUTS_MS = { kafka: 120_000, influxdb: 60_000, postgres: 60_000 } as const;
/** Kafka flushes and closes its logs on SIGTERM; killing it earlier means a slow recovery next start. */
const KAFKA_STOP_GRACE_MS = 30_000;
const INFLUX_STOP_GRACE_MS = 15_000;
const LOCK_WAIT_MS = 10 * 60_000;

export type Part = 'kafka' | 'influxdb' | 'postgres' | 's3proxy';

// ───────────────────────────── paths ─────────────────────────────

export interface StackPaths {
  root: string;
  lock: string;
  /** Reserved for worker and web logs written by other scripts. */
  logs: string;
  kafka: {
    dir: string;
    libs: string;
    /** sha256 of the pom the jars were copied from; a changed pom means new jars. */
    libsStamp: string;
    data: string;
    config: string;
    log4j: string;
    log: string;
    pid: string;
  };
  influxdb: {
    dir: string;
    config: string;
    meta: string;
    data: string;
    wal: string;
    log: string;
    pid: string;
  };
  postgres: {
    dir: string;
    data: string;
    log: string;
    /** The URL of the private cluster, so `status` finds it without re-deriving the port. */
    url: string;
  };
}

export function stackPaths(stateDir: string): StackPaths {
  const kafka = path.join(stateDir, 'kafka');
  const influx = path.join(stateDir, 'influxdb');
  const pg = path.join(stateDir, 'postgres');
  return {
    root: stateDir,
    lock: path.join(stateDir, '.lock'),
    logs: path.join(stateDir, 'logs'),
    kafka: {
      dir: kafka,
      libs: path.join(kafka, 'libs'),
      libsStamp: path.join(kafka, 'libs', '.pom.sha256'),
      data: path.join(kafka, 'data'),
      config: path.join(kafka, 'server.properties'),
      log4j: path.join(kafka, 'log4j2.properties'),
      log: path.join(kafka, 'broker.log'),
      pid: path.join(kafka, 'pid'),
    },
    influxdb: {
      dir: influx,
      config: path.join(influx, 'influxdb.conf'),
      meta: path.join(influx, 'meta'),
      data: path.join(influx, 'data'),
      wal: path.join(influx, 'wal'),
      log: path.join(influx, 'influxd.log'),
      pid: path.join(influx, 'pid'),
    },
    postgres: {
      dir: pg,
      data: path.join(pg, 'data'),
      log: path.join(pg, 'postgres.log'),
      url: path.join(pg, 'url'),
    },
  };
}

// ───────────────────────────── public types ─────────────────────────────

export type Say = (line: string) => void;

export interface StackOptions {
  /** Defaults to `loadEnv()`. */
  env?: ScriptEnv;
  /** Progress lines; defaults to console.log. Pass `() => {}` for silence. */
  say?: Say;
}

export interface StackUpOptions extends StackOptions {
  timeoutsMs?: Partial<Record<Part, number>>;
}

export interface StackInfo {
  stateDir: string;
  logsDir: string;
  kafka: {
    brokers: string[];
    /** Started (or found running) by this stack, as opposed to an existing cluster. */
    managed: boolean;
    log?: string;
    /** Partition count of each topic the stack ensured. */
    topics: Record<string, number>;
  };
  influxdb: { url: string; database: string; managed: boolean; log?: string };
  postgres: { url: string; managed: boolean; log?: string };
  /** The S3-compatible server the archive can use (scripts/lib/s3proxy.ts). */
  s3: S3proxyInfo;
}

export interface PartStatus {
  part: Part;
  address: string;
  up: boolean;
  /** This stack started the part (a pid file or private cluster exists), whether or not it still runs. */
  managed: boolean;
  /** The live process, if it runs. */
  pid?: number;
  detail: string;
  log?: string;
}

/** Raised for failures a person must act on; the message says what to look at. */
export class StackError extends Error {
  override name = 'StackError';
  constructor(
    message: string,
    readonly logFile?: string,
  ) {
    super(
      logFile
        ? `${message}\n  log: ${displayPath(logFile)}\n${indent(logExcerpt(logFile), '    | ')}`
        : message,
    );
  }
}

/** The environment variables a child process (worker, web, tests) needs to reach this stack. */
export function stackEnvVars(info: StackInfo): Record<string, string> {
  return {
    KAFKA_BROKERS: info.kafka.brokers.join(','),
    INFLUX_URL: info.influxdb.url,
    INFLUX_DB: info.influxdb.database,
    DATABASE_URL: info.postgres.url,
    METEROPS_STATE_DIR: info.stateDir,
  };
}

/**
 * WEB_DATABASE_URL and WORKER_DATABASE_URL for running web and worker as the least-privileged roles of
 * migration 0008: the ones configured, or `databaseUrl` with the role as its user. The local Postgres
 * trusts connections from 127.0.0.1, so the roles need no password there; elsewhere configure both.
 */
export function appRoleEnvVars(
  env: ScriptEnv,
  databaseUrl: string,
): { WEB_DATABASE_URL: string; WORKER_DATABASE_URL: string } {
  const as = (role: string) => {
    const url = new URL(databaseUrl);
    url.username = role;
    url.password = '';
    return url.toString();
  };
  return {
    WEB_DATABASE_URL: env.WEB_DATABASE_URL ?? as('meterops_web'),
    WORKER_DATABASE_URL: env.WORKER_DATABASE_URL ?? as('meterops_worker'),
  };
}

// ───────────────────────────── commands ─────────────────────────────

/**
 * Starts whatever is not running, waits until every part is healthy, creates the topics and databases.
 * Safe to call repeatedly and concurrently.
 */
export async function ensureStackUp(options: StackUpOptions = {}): Promise<StackInfo> {
  const env = options.env ?? loadEnv();
  const say = options.say ?? console.log;
  const paths = stackPaths(env.METEROPS_STATE_DIR);
  const timeouts = { ...DEFAULT_TIMEOUTS_MS, ...options.timeoutsMs };

  return withStateLock(paths, say, async () => {
    fs.mkdirSync(paths.logs, { recursive: true });
    // The three parts are independent; starting them together hides the JVM's start-up behind the others.
    const [kafka, influxdb, pg] = await settleAll(
      ['kafka', 'influxdb', 'postgres'],
      [
        upKafka(env, paths, prefixed(say, 'kafka'), timeouts.kafka),
        upInflux(env, paths, prefixed(say, 'influxdb'), timeouts.influxdb),
        upPostgres(env, paths, prefixed(say, 'postgres'), timeouts.postgres),
      ],
    );
    const s3 = await ensureS3proxyUp({ stateDir: paths.root, say: prefixed(say, 's3proxy') });
    return { stateDir: paths.root, logsDir: paths.logs, kafka, influxdb, postgres: pg, s3 };
  });
}

/** Health of every part; never starts or stops anything. */
export async function stackStatus(options: StackOptions = {}): Promise<PartStatus[]> {
  const env = options.env ?? loadEnv();
  const paths = stackPaths(env.METEROPS_STATE_DIR);
  return Promise.all([
    statusKafka(env, paths),
    statusInflux(env, paths),
    statusPostgres(env, paths),
    s3proxyStatus({ stateDir: paths.root }).then((s3): PartStatus => ({
      part: 's3proxy',
      address: s3.address,
      up: s3.up,
      managed: s3.pid !== undefined,
      pid: s3.pid,
      detail: 'S3-compatible archive store (filesystem backend)',
      log: s3.log,
    })),
  ]);
}

/** Stops what `up` started (and only that), waiting for each process to exit. */
export async function stackDown(options: StackOptions = {}): Promise<void> {
  const env = options.env ?? loadEnv();
  const say = options.say ?? console.log;
  const paths = stackPaths(env.METEROPS_STATE_DIR);
  if (!fs.existsSync(paths.root)) {
    say(`nothing to stop: ${displayPath(paths.root)} does not exist`);
    return;
  }
  await withStateLock(paths, say, () => downAll(paths, say));
}

/** `down`, then deletes all state except the Kafka jars (re-downloading them is the slow part of `up`). */
export async function stackReset(options: StackOptions = {}): Promise<void> {
  const env = options.env ?? loadEnv();
  const say = options.say ?? console.log;
  const paths = stackPaths(env.METEROPS_STATE_DIR);
  if (!fs.existsSync(paths.root)) {
    say(`nothing to reset: ${displayPath(paths.root)} does not exist`);
    return;
  }
  await withStateLock(paths, say, async () => {
    await downAll(paths, say);
    const doomed = [
      paths.kafka.data,
      paths.kafka.config,
      paths.kafka.log4j,
      paths.kafka.log,
      paths.kafka.pid,
      paths.influxdb.dir,
      paths.postgres.dir,
      paths.logs,
      s3proxyPaths(paths.root).data,
    ];
    for (const target of doomed) {
      if (fs.existsSync(target)) {
        fs.rmSync(target, { recursive: true, force: true });
        say(`removed ${displayPath(target)}`);
      }
    }
    const jars = countJars(paths.kafka.libs);
    say(
      jars > 0
        ? `kept ${displayPath(paths.kafka.libs)} (${jars} Kafka jars) so the next up does not download them again`
        : 'no Kafka jars to keep; the next up fetches them with Maven',
    );
    say('services not started by this stack (KAFKA_BROKERS, INFLUX_URL, DATABASE_URL) were not touched');
  });
}

/** Fetches the broker jars into the state folder if missing or stale, without starting anything. */
export async function ensureKafkaJars(options: StackOptions = {}): Promise<void> {
  const env = options.env ?? loadEnv();
  const say = options.say ?? console.log;
  const paths = stackPaths(env.METEROPS_STATE_DIR);
  await withStateLock(paths, say, () => copyKafkaJars(paths, prefixed(say, 'kafka')));
}

async function downAll(paths: StackPaths, say: Say): Promise<void> {
  await settleAll(
    ['kafka', 'influxdb', 'postgres'],
    [
      stopManaged(paths.kafka.pid, kafkaNeedles(paths), KAFKA_STOP_GRACE_MS, prefixed(say, 'kafka')),
      stopManaged(paths.influxdb.pid, influxNeedles(paths), INFLUX_STOP_GRACE_MS, prefixed(say, 'influxdb')),
      stopPrivatePostgres(paths, prefixed(say, 'postgres')),
    ],
  );
  await stopS3proxy({ stateDir: paths.root, say: prefixed(say, 's3proxy') });
}

// ───────────────────────────── Kafka ─────────────────────────────

const kafkaNeedles = (paths: StackPaths): string[] => ['kafka.Kafka', paths.kafka.config];

/** The stack only runs a broker at the address it would itself bind; anything else must already exist. */
function isManagedKafkaAddress(brokers: string[]): boolean {
  if (brokers.length !== 1 || brokers[0] === undefined) return false;
  const { host, port } = splitHostPort(brokers[0]);
  return isLoopback(host) && port === KAFKA_PORT;
}

async function upKafka(
  env: ScriptEnv,
  paths: StackPaths,
  say: Say,
  timeoutMs: number,
): Promise<StackInfo['kafka']> {
  const brokers = env.KAFKA_BROKERS;
  const topics = [
    { topic: env.READINGS_TOPIC, partitions: READINGS_PARTITIONS },
    { topic: env.DLQ_TOPIC, partitions: DLQ_PARTITIONS },
    // Keyed by meter like the input, with as many partitions.
    ...(env.VALIDATED_TOPIC === '' ? [] : [{ topic: env.VALIDATED_TOPIC, partitions: READINGS_PARTITIONS }]),
  ];
  const started = Date.now();
  let managed = true;
  let pid = managedPid(paths.kafka.pid, kafkaNeedles(paths));
  /** Storage formatted before SCRAM was asked for: the user is added through the running broker. */
  let scramUserMissing = false;

  if (pid !== undefined) {
    say(`broker already running (pid ${pid})`);
  } else {
    const probe = await kafkaProbe(brokers);
    if (probe.ok) {
      managed = false;
      say(`using the existing Kafka at ${brokers.join(',')} (not started by this stack)`);
    } else if (!isManagedKafkaAddress(brokers)) {
      throw new StackError(
        `KAFKA_BROKERS=${brokers.join(',')} does not answer (${probe.error}). The stack only starts a broker ` +
          `for 127.0.0.1:${KAFKA_PORT}; unset KAFKA_BROKERS or start that cluster.`,
      );
    } else {
      await copyKafkaJars(paths, say);
      writeKafkaConfig(paths, env);
      const formatted = await formatKafkaStorage(paths, env, say);
      scramUserMissing = env.KAFKA_SASL === 'scram' && !formatted;
      pid = await startDetached({
        command: 'java',
        args: [
          ...KAFKA_HEAP,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          // A broker that ran out of heap is broken; exiting makes `status` and the pid file say so.
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${paths.kafka.log4j}`,
          '-cp',
          `${paths.kafka.libs}/*`,
          'kafka.Kafka',
          paths.kafka.config,
        ],
        cwd: paths.kafka.dir,
        logFile: paths.kafka.log,
        pidFile: paths.kafka.pid,
      });
      say(`started broker (pid ${pid}), waiting for it to answer …`);
    }
  }

  const pidNow = pid;
  if (managed) {
    await waitUntil('Kafka broker', () => kafkaProbe(brokers).then((r) => (r.ok ? true : r.error)), {
      timeoutMs,
      isAlive: pidNow === undefined ? undefined : () => processMatches(pidNow, kafkaNeedles(paths)),
      logFile: paths.kafka.log,
    });
  }
  if (scramUserMissing) await addScramUser(env, paths, say);
  if (managed && env.KAFKA_SASL === 'scram') {
    say(
      `SASL_PLAINTEXT (${KAFKA_SCRAM_MECHANISM}) at 127.0.0.1:${KAFKA_SCRAM_PORT} for user ${env.KAFKA_SCRAM_USERNAME}`,
    );
  }
  const partitions = await ensureTopics(brokers, topics, say, timeoutMs);
  if (managed) {
    await applyTopicRetention(
      brokers,
      [
        { topic: env.READINGS_TOPIC, retentionHours: TOPIC_RETENTION_HOURS.readings },
        { topic: env.DLQ_TOPIC, retentionHours: TOPIC_RETENTION_HOURS.deadLetter },
        ...(env.VALIDATED_TOPIC === ''
          ? []
          : [{ topic: env.VALIDATED_TOPIC, retentionHours: TOPIC_RETENTION_HOURS.readings }]),
      ],
      say,
    );
  }
  say(`ready at ${brokers.join(',')} in ${seconds(Date.now() - started)}`);
  return {
    brokers,
    managed,
    log: managed ? paths.kafka.log : undefined,
    topics: partitions,
  };
}

/**
 * Copies the broker's jars with Maven into a temporary folder and renames it into place, so an
 * interrupted download never leaves a `libs/` that looks complete.
 */
async function copyKafkaJars(paths: StackPaths, say: Say): Promise<void> {
  const pomHash = createHash('sha256').update(fs.readFileSync(KAFKA_POM)).digest('hex');
  if (countJars(paths.kafka.libs) > 0 && readText(paths.kafka.libsStamp)?.trim() === pomHash) return;

  const mvn = commandPath('mvn');
  if (!mvn) {
    throw new StackError('Maven (mvn) is needed once to fetch the Kafka jars: apt-get install -y maven');
  }
  const tmp = `${paths.kafka.libs}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(paths.kafka.dir, { recursive: true });
  say(
    `fetching the Kafka broker jars with Maven (${path.relative(REPO_ROOT, KAFKA_POM)}) into ${displayPath(paths.kafka.libs)} …`,
  );
  const started = Date.now();

  const child = spawn(
    mvn,
    [
      '-B',
      '-f',
      KAFKA_POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Maven's batch output is hundreds of lines; keep it for the error message and show a count instead.
  const output: string[] = [];
  let downloads = 0;
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      if (/\bDownloaded from /.test(line)) downloads++;
    }
    if (output.length > 2000) output.splice(0, output.length - 2000);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const ticker = setInterval(
    () => say(`  maven: ${downloads} files downloaded so far (${seconds(Date.now() - started)})`),
    5000,
  );
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => clearInterval(ticker));

  if (code !== 0 || countJars(tmp) === 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new StackError(
      `Maven could not copy the Kafka jars (exit ${code}); last output:\n${indent(output.slice(-30).join('\n'), '    | ')}`,
    );
  }
  fs.writeFileSync(path.join(tmp, path.basename(paths.kafka.libsStamp)), `${pomHash}\n`);
  fs.rmSync(paths.kafka.libs, { recursive: true, force: true });
  fs.renameSync(tmp, paths.kafka.libs);
  say(
    `copied ${countJars(paths.kafka.libs)} jars (${downloads} downloads) in ${seconds(Date.now() - started)}`,
  );
}

/** Rewritten before every start, so a change here reaches the broker without a reset. */
function writeKafkaConfig(paths: StackPaths, env: ScriptEnv): void {
  fs.mkdirSync(paths.kafka.data, { recursive: true });
  const header =
    '# Generated by `npm run stack -- up` (scripts/lib/stack.ts) before every start; edit that file.';
  const server = [
    header,
    ...kafkaServerProperties({
      dataDir: paths.kafka.data,
      host: '127.0.0.1',
      plaintextPort: KAFKA_PORT,
      controllerPort: KAFKA_CONTROLLER_PORT,
      scramPort: env.KAFKA_SASL === 'scram' ? KAFKA_SCRAM_PORT : undefined,
    }),
    '',
  ].join('\n');
  // Kafka 4 logs through log4j2. Console output goes to broker.log because stdout/stderr are redirected
  // there; using one sink keeps JVM crash output and log lines in order, in one file.
  const log4j = [
    header,
    'status = warn',
    'appender.out.type = Console',
    'appender.out.name = OUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d{ISO8601}] %-5p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.out.ref = OUT',
    '# Per-request lines only help when chasing a protocol problem; set these to DEBUG for that.',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.channel.name = kafka.network.RequestChannel$',
    'logger.channel.level = WARN',
    '',
  ].join('\n');
  fs.writeFileSync(paths.kafka.config, server);
  fs.writeFileSync(paths.kafka.log4j, log4j);
}

/**
 * KRaft needs its storage formatted once with a cluster id; `meta.properties` marks that it was. With
 * KAFKA_SASL=scram the SCRAM user is written into the new cluster's metadata. Returns false when the
 * storage was formatted already.
 */
async function formatKafkaStorage(paths: StackPaths, env: ScriptEnv, say: Say): Promise<boolean> {
  if (fs.existsSync(path.join(paths.kafka.data, 'meta.properties'))) return false;
  const clusterId = kafkaClusterId();
  say(`formatting storage in ${displayPath(paths.kafka.data)} (cluster id ${clusterId})`);
  const formatStarted = new Date().toISOString();
  const result = await run('java', [
    '-cp',
    `${paths.kafka.libs}/*`,
    `-Dlog4j2.configurationFile=${paths.kafka.log4j}`,
    'kafka.tools.StorageTool',
    'format',
    '--ignore-formatted',
    '-t',
    clusterId,
    '-c',
    paths.kafka.config,
    ...(env.KAFKA_SASL === 'scram' && env.KAFKA_SCRAM_PASSWORD !== undefined
      ? ['--add-scram', scramCredential(env.KAFKA_SCRAM_USERNAME, env.KAFKA_SCRAM_PASSWORD)]
      : []),
  ]);
  fs.appendFileSync(
    paths.kafka.log,
    `\n===== ${formatStarted} npm run stack -- up: kafka.tools.StorageTool format\n${result.output}`,
  );
  if (result.code !== 0) {
    throw new StackError(`formatting Kafka storage failed (exit ${result.code})`, paths.kafka.log);
  }
  return true;
}

/** Creates or replaces the SCRAM user through the running broker (kafka-configs --add-config). */
async function addScramUser(env: ScriptEnv, paths: StackPaths, say: Say): Promise<void> {
  const password = env.KAFKA_SCRAM_PASSWORD;
  if (password === undefined) return;
  // Checked as for --add-scram, so both paths accept the same passwords.
  scramCredential(env.KAFKA_SCRAM_USERNAME, password);
  const result = await run('java', [
    '-cp',
    `${paths.kafka.libs}/*`,
    `-Dlog4j2.configurationFile=${paths.kafka.log4j}`,
    'kafka.admin.ConfigCommand',
    '--bootstrap-server',
    `127.0.0.1:${KAFKA_PORT}`,
    '--alter',
    '--add-config',
    `${KAFKA_SCRAM_MECHANISM}=[password=${password}]`,
    '--entity-type',
    'users',
    '--entity-name',
    env.KAFKA_SCRAM_USERNAME,
  ]);
  if (result.code !== 0) {
    throw new StackError(`adding the SCRAM user failed (exit ${result.code}):\n${result.output}`);
  }
  say(`SCRAM user ${env.KAFKA_SCRAM_USERNAME} added to the running broker`);
}

/**
 * Same format as `kafka-storage random-uuid` (Kafka's Uuid.toString: 16 random bytes, URL-safe base64,
 * no padding), made here to save a JVM start. Kafka rejects ids starting with "-" on the command line.
 */
function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function kafkaAdmin(brokers: string[]): Admin {
  return new Kafka({
    clientId: 'meterops-stack',
    brokers,
    // The broker this stack runs is spoken to on its PLAINTEXT listener; another cluster as configured.
    ...(isManagedKafkaAddress(brokers) ? {} : kafkaClientSecurity(loadEnv())),
    // Probing a stopped broker is expected here; kafkajs would log every refused connection as an error.
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2000,
    requestTimeout: 10_000,
    // The callers loop with their own deadline; kafkajs' retries would only hide how long a probe takes.
    retry: { retries: 0 },
  }).admin();
}

async function withAdmin<T>(
  brokers: string[],
  fn: (admin: Admin) => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const admin = kafkaAdmin(brokers);
  try {
    // kafkajs can wait on a socket that accepted but never answers; the outer timeout bounds that.
    return await withTimeout(
      (async () => {
        await admin.connect();
        return fn(admin);
      })(),
      timeoutMs,
      'Kafka did not answer',
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

type Probe<T = undefined> = { ok: true; value: T } | { ok: false; error: string };

/** Health = an admin client can connect and list topics. */
async function kafkaProbe(brokers: string[]): Promise<Probe<string[]>> {
  try {
    return { ok: true, value: await withAdmin(brokers, (admin) => admin.listTopics(), 5000) };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}

/**
 * Creates the topics that are missing and returns every topic's partition count. Retries until the
 * deadline because a freshly started KRaft broker answers metadata requests a moment before it accepts
 * topic creation.
 */
export async function ensureTopics(
  brokers: string[],
  topics: { topic: string; partitions: number }[],
  say: Say = () => {},
  timeoutMs = 60_000,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await withAdmin(
        brokers,
        async (admin) => {
          const existing = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existing.has(t.topic));
          if (missing.length > 0) {
            await admin.createTopics({
              topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions })),
              waitForLeaders: true,
            });
            for (const t of missing) say(`created topic ${t.topic} (${t.partitions} partitions)`);
          }
          const metadata = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
          const counts: Record<string, number> = {};
          for (const t of topics) {
            counts[t.topic] = metadata.topics.find((m) => m.name === t.topic)?.partitions.length ?? 0;
          }
          for (const t of topics) {
            // Adding partitions later would move keys (meters) between partitions, so only warn.
            const actual = counts[t.topic] ?? 0;
            if (actual < t.partitions)
              say(`warning: topic ${t.topic} has ${actual} partitions, ${t.partitions} wanted`);
          }
          return counts;
        },
        30_000,
      );
    } catch (error) {
      if (Date.now() > deadline) {
        throw new StackError(`could not create Kafka topics on ${brokers.join(',')}: ${errorText(error)}`);
      }
      await sleep(1000);
    }
  }
}

async function statusKafka(env: ScriptEnv, paths: StackPaths): Promise<PartStatus> {
  const pid = managedPid(paths.kafka.pid, kafkaNeedles(paths));
  const probe = await kafkaProbe(env.KAFKA_BROKERS);
  const wanted = [env.READINGS_TOPIC, env.DLQ_TOPIC];
  let detail: string;
  if (probe.ok) {
    const missing = wanted.filter((t) => !probe.value.includes(t));
    detail =
      missing.length === 0 ? `topics ${wanted.join(', ')}` : `missing topics ${missing.join(', ')} (run up)`;
  } else {
    detail = pid === undefined ? probe.error : `process ${pid} runs but does not answer: ${probe.error}`;
  }
  return {
    part: 'kafka',
    address: env.KAFKA_BROKERS.join(','),
    up: probe.ok,
    managed: pid !== undefined || readPid(paths.kafka.pid) !== undefined,
    pid,
    detail,
    log: fs.existsSync(paths.kafka.log) ? paths.kafka.log : undefined,
  };
}

// ───────────────────────────── InfluxDB ─────────────────────────────

const influxNeedles = (paths: StackPaths): string[] => ['influxd', paths.influxdb.config];

function isManagedInfluxAddress(url: string): boolean {
  const parsed = new URL(url);
  return (
    parsed.protocol === 'http:' &&
    isLoopback(parsed.hostname) &&
    Number(parsed.port || 80) === INFLUX_HTTP_PORT
  );
}

function influxHeaders(token: string | undefined): Record<string, string> {
  // 1.x without auth ignores the header; 2.x/3.x v1-compatibility endpoints need it.
  return token ? { Authorization: `Token ${token}` } : {};
}

/** Health = GET /ping answers 204. */
async function influxProbe(url: string, token: string | undefined): Promise<Probe<string>> {
  try {
    const response = await fetch(`${url}/ping`, {
      headers: influxHeaders(token),
      signal: AbortSignal.timeout(3000),
    });
    if (response.status === 204)
      return { ok: true, value: response.headers.get('x-influxdb-version') ?? '?' };
    return { ok: false, error: `GET /ping answered ${response.status}` };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  }
}

async function influxQuery(url: string, token: string | undefined, q: string): Promise<unknown> {
  const response = await fetch(`${url}/query`, {
    method: 'POST',
    headers: { ...influxHeaders(token), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ q }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  // InfluxQL reports statement errors with HTTP 200 and an `error` field per result.
  if (!response.ok || /"error"\s*:/.test(text))
    throw new Error(`InfluxDB ${q}: HTTP ${response.status} ${text.trim()}`);
  return JSON.parse(text) as unknown;
}

/** CREATE DATABASE is idempotent in InfluxQL. */
export async function ensureInfluxDatabase(url: string, database: string, token?: string): Promise<void> {
  await influxQuery(url, token, `CREATE DATABASE "${database}"`);
}

/**
 * Drops a database and creates it empty. InfluxDB 1.x sends the response headers before it has run the
 * statement, so the DROP is complete only once its body has been read (influxQuery reads it); a CREATE
 * sent as soon as the headers arrive runs first and the DROP then removes the new database. The result
 * is checked with SHOW DATABASES.
 */
export async function recreateInfluxDatabase(url: string, database: string, token?: string): Promise<void> {
  await influxQuery(url, token, `DROP DATABASE "${database}"`);
  await ensureInfluxDatabase(url, database, token);
  const shown = JSON.stringify(await influxQuery(url, token, 'SHOW DATABASES'));
  if (!shown.includes(JSON.stringify([database]))) {
    throw new Error(`InfluxDB did not keep the database ${database} it was asked to create: ${shown}`);
  }
}

async function upInflux(
  env: ScriptEnv,
  paths: StackPaths,
  say: Say,
  timeoutMs: number,
): Promise<StackInfo['influxdb']> {
  const url = env.INFLUX_URL;
  const token = env.INFLUX_TOKEN;
  const started = Date.now();
  let managed = true;
  let pid = managedPid(paths.influxdb.pid, influxNeedles(paths));

  if (pid !== undefined) {
    say(`influxd already running (pid ${pid})`);
  } else {
    const probe = await influxProbe(url, token);
    if (probe.ok) {
      managed = false;
      say(`using the existing InfluxDB ${probe.value} at ${url} (not started by this stack)`);
    } else if (!isManagedInfluxAddress(url)) {
      throw new StackError(
        `INFLUX_URL=${url} does not answer (${probe.error}). The stack only starts InfluxDB for ` +
          `http://127.0.0.1:${INFLUX_HTTP_PORT}; unset INFLUX_URL or start that server.`,
      );
    } else {
      const influxd = await ensureInfluxd(say);
      writeInfluxConfig(paths);
      pid = await startDetached({
        command: influxd,
        args: ['run', '-config', paths.influxdb.config],
        cwd: paths.influxdb.dir,
        logFile: paths.influxdb.log,
        pidFile: paths.influxdb.pid,
        // influxd 1.x lets INFLUXDB_* variables override any config key (INFLUXDB_HTTP_BIND_ADDRESS, …);
        // the generated file must be the whole truth about where this instance keeps data and listens.
        env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('INFLUXDB_'))),
      });
      say(`started influxd (pid ${pid}), waiting for /ping …`);
    }
  }

  const pidNow = pid;
  if (managed) {
    await waitUntil('InfluxDB', () => influxProbe(url, token).then((r) => (r.ok ? true : r.error)), {
      timeoutMs,
      isAlive: pidNow === undefined ? undefined : () => processMatches(pidNow, influxNeedles(paths)),
      logFile: paths.influxdb.log,
    });
  }
  await ensureInfluxDatabase(url, env.INFLUX_DB, token);
  say(`ready at ${url}, database ${env.INFLUX_DB}, in ${seconds(Date.now() - started)}`);
  return { url, database: env.INFLUX_DB, managed, log: managed ? paths.influxdb.log : undefined };
}

/** A fresh machine of this kind may lack Debian's influxdb package; installing it needs root. */
async function ensureInfluxd(say: Say): Promise<string> {
  const existing = commandPath('influxd');
  if (existing) return existing;
  if (process.getuid?.() !== 0) {
    throw new StackError(
      'influxd is not installed; as root run: apt-get update && apt-get install -y influxdb',
    );
  }
  say('influxd is not installed: running apt-get update && apt-get install -y influxdb …');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', 'influxdb']]) {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: aptEnv });
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new StackError(`apt-get ${args.join(' ')} failed (exit ${code})`);
  }
  const installed = commandPath('influxd');
  if (!installed) throw new StackError('apt-get installed influxdb but influxd is still not on PATH');
  return installed;
}

function writeInfluxConfig(paths: StackPaths): void {
  for (const dir of [paths.influxdb.meta, paths.influxdb.data, paths.influxdb.wal])
    fs.mkdirSync(dir, { recursive: true });
  // TOML basic strings accept JSON string escapes, so JSON.stringify quotes any path safely.
  const q = (value: string): string => JSON.stringify(value);
  const config = `# Generated by \`npm run stack -- up\` (scripts/lib/stack.ts) before every start; edit that file.
reporting-disabled = true
bind-address = ${q(`127.0.0.1:${INFLUX_RPC_PORT}`)}

[meta]
  dir = ${q(paths.influxdb.meta)}

[data]
  dir = ${q(paths.influxdb.data)}
  wal-dir = ${q(paths.influxdb.wal)}
  # Dashboards poll; one log line per query would bury everything else.
  query-log-enabled = false

[monitor]
  # The _internal database costs writes every 10 s and nobody reads it; our metrics have their own.
  store-enabled = false

[http]
  enabled = true
  bind-address = ${q(`127.0.0.1:${INFLUX_HTTP_PORT}`)}
  auth-enabled = false
  # An access-log line per metrics write would dominate the log.
  log-enabled = false

[logging]
  level = "info"
  suppress-logo = true
`;
  fs.writeFileSync(paths.influxdb.config, config);
}

async function statusInflux(env: ScriptEnv, paths: StackPaths): Promise<PartStatus> {
  const pid = managedPid(paths.influxdb.pid, influxNeedles(paths));
  const probe = await influxProbe(env.INFLUX_URL, env.INFLUX_TOKEN);
  let detail: string;
  if (probe.ok) {
    try {
      const shown = JSON.stringify(await influxQuery(env.INFLUX_URL, env.INFLUX_TOKEN, 'SHOW DATABASES'));
      const present = shown.includes(JSON.stringify(env.INFLUX_DB));
      detail = `InfluxDB ${probe.value}, database ${env.INFLUX_DB} ${present ? 'present' : 'missing (run up)'}`;
    } catch (error) {
      detail = `InfluxDB ${probe.value}, SHOW DATABASES failed: ${errorText(error)}`;
    }
  } else {
    detail = pid === undefined ? probe.error : `process ${pid} runs but does not answer: ${probe.error}`;
  }
  return {
    part: 'influxdb',
    address: env.INFLUX_URL,
    up: probe.ok,
    managed: pid !== undefined || readPid(paths.influxdb.pid) !== undefined,
    pid,
    detail,
    log: fs.existsSync(paths.influxdb.log) ? paths.influxdb.log : undefined,
  };
}

// ───────────────────────────── Postgres ─────────────────────────────

function pgClient(url: string): postgres.Sql {
  return postgres(url, { max: 1, connect_timeout: 3, idle_timeout: 1, onnotice: () => {} });
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

function databaseName(url: string): string {
  const parsed = new URL(url);
  return (
    decodeURIComponent(parsed.pathname.replace(/^\//, '')) ||
    decodeURIComponent(parsed.username) ||
    'postgres'
  );
}

/** Connects to the `postgres` maintenance database, which exists even before ours is created. */
async function pgProbe(
  url: string,
): Promise<Probe<{ version: string; cluster: string; hasDatabase: boolean }>> {
  const sql = pgClient(withDatabase(url, 'postgres'));
  try {
    const [row] = await sql<{ version: string; cluster: string; has_database: boolean }[]>`
      SELECT current_setting('server_version') AS version,
             current_setting('cluster_name') AS cluster,
             EXISTS (SELECT 1 FROM pg_database WHERE datname = ${databaseName(url)}) AS has_database`;
    if (!row) return { ok: false, error: 'no answer to SELECT' };
    return { ok: true, value: { version: row.version, cluster: row.cluster, hasDatabase: row.has_database } };
  } catch (error) {
    return { ok: false, error: errorText(error) };
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** Creates the URL's database if missing. Used by `up` and by tests for `meterops_test`. */
export async function ensurePostgresDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const sql = pgClient(withDatabase(url, 'postgres'));
  try {
    const rows = await sql`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (rows.length > 0) return false;
    try {
      await sql`CREATE DATABASE ${sql(name)}`;
    } catch (error) {
      // Another process created it between our SELECT and CREATE: that is the outcome we wanted.
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
    return true;
  } finally {
    await sql.end({ timeout: 1 }).catch(() => undefined);
  }
}

/** Debian's packaged clusters log to /var/log/postgresql/postgresql-<version>-<name>.log. */
function debianClusterLog(url: string, cluster: string): string | undefined {
  if (!isLoopback(new URL(url).hostname) || !cluster.includes('/')) return undefined;
  const file = `/var/log/postgresql/postgresql-${cluster.replace('/', '-')}.log`;
  return fs.existsSync(file) ? file : undefined;
}

const pgNeedles = (paths: StackPaths): string[] => ['postgres', paths.postgres.data];

/** The private cluster's postmaster, if it runs: postmaster.pid's first line is its pid. */
function privatePostgresPid(paths: StackPaths): number | undefined {
  return managedPid(path.join(paths.postgres.data, 'postmaster.pid'), pgNeedles(paths));
}

async function upPostgres(
  env: ScriptEnv,
  paths: StackPaths,
  say: Say,
  timeoutMs: number,
): Promise<StackInfo['postgres']> {
  const started = Date.now();
  const configured = env.DATABASE_URL;
  const probe = await pgProbe(configured);
  let url = configured;
  let managed = false;
  let log: string | undefined;

  if (probe.ok && privatePostgresPid(paths) !== undefined && privatePostgresUrl(configured) === configured) {
    // DATABASE_URL names the port of the private cluster an earlier `up` started.
    managed = true;
    log = paths.postgres.log;
    say(`private cluster already running in ${displayPath(paths.postgres.data)}`);
  } else if (probe.ok) {
    log = debianClusterLog(configured, probe.value.cluster);
    say(`using the existing Postgres ${probe.value.version} at ${redact(configured)}`);
  } else if (!isLoopback(new URL(configured).hostname)) {
    throw new StackError(`DATABASE_URL=${redact(configured)} does not answer (${probe.error})`);
  } else {
    say(`${redact(configured)} does not answer (${probe.error}); using a private cluster`);
    url = await upPrivatePostgres(configured, paths, say, timeoutMs);
    managed = true;
    log = paths.postgres.log;
  }

  if (await ensurePostgresDatabase(url)) say(`created database ${databaseName(url)}`);
  say(`ready at ${redact(url)} in ${seconds(Date.now() - started)}`);
  return { url, managed, log };
}

/** DATABASE_URL with the private cluster's port: the URL's own, except that 5432 becomes 5433. */
function privatePostgresUrl(configured: string): string {
  const parsed = new URL(configured);
  const port = Number(parsed.port || PG_SYSTEM_PORT);
  parsed.port = String(port === PG_SYSTEM_PORT ? PG_PRIVATE_PORT : port);
  return parsed.toString();
}

/**
 * initdb + pg_ctl start under the state folder, with Debian's binaries. The port is the URL's, except
 * that 5432 becomes 5433: the system cluster may come back and must not find its port taken.
 */
async function upPrivatePostgres(
  configured: string,
  paths: StackPaths,
  say: Say,
  timeoutMs: number,
): Promise<string> {
  const url = privatePostgresUrl(configured);
  const parsed = new URL(url);
  const port = Number(parsed.port);
  const user = decodeURIComponent(parsed.username) || 'postgres';

  if (privatePostgresPid(paths) !== undefined) {
    say(`private cluster already running in ${displayPath(paths.postgres.data)}`);
  } else {
    const bin = postgresBinDir();
    fs.mkdirSync(paths.postgres.dir, { recursive: true });
    if (!fs.existsSync(path.join(paths.postgres.data, 'PG_VERSION'))) {
      say(`initdb ${displayPath(paths.postgres.data)} (superuser ${user}, trust auth, port ${port})`);
      // initdb refuses to run as root; the cluster's files then belong to the postgres account.
      chownToPostgresIfRoot(paths.postgres.dir);
      await runAsPostgres(path.join(bin, 'initdb'), [
        '-D',
        paths.postgres.data,
        '-U',
        user,
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
        '--no-instructions',
      ]);
      fs.appendFileSync(
        path.join(paths.postgres.data, 'postgresql.conf'),
        [
          '',
          '# Added by `npm run stack -- up` (scripts/lib/stack.ts).',
          `port = ${port}`,
          `listen_addresses = 'localhost'`,
          // TCP only: the default socket folder (/var/run/postgresql) belongs to the system cluster.
          `unix_socket_directories = ''`,
          '',
        ].join('\n'),
      );
    }
    say(`starting private cluster on port ${port} …`);
    await runAsPostgres(
      path.join(bin, 'pg_ctl'),
      [
        '-D',
        paths.postgres.data,
        '-l',
        paths.postgres.log,
        '-w',
        '-t',
        String(Math.ceil(timeoutMs / 1000)),
        'start',
      ],
      paths.postgres.log,
    );
  }
  fs.writeFileSync(paths.postgres.url, `${url}\n`);
  await waitUntil('private Postgres', () => pgProbe(url).then((r) => (r.ok ? true : r.error)), {
    timeoutMs,
    logFile: paths.postgres.log,
  });
  return url;
}

async function stopPrivatePostgres(paths: StackPaths, say: Say): Promise<void> {
  if (privatePostgresPid(paths) === undefined) {
    say(
      fs.existsSync(paths.postgres.data)
        ? 'private cluster not running'
        : 'not started by this stack (external server untouched)',
    );
    return;
  }
  say('stopping private cluster (pg_ctl stop -m fast) …');
  await runAsPostgres(
    path.join(postgresBinDir(), 'pg_ctl'),
    ['-D', paths.postgres.data, '-m', 'fast', '-w', '-t', '60', 'stop'],
    paths.postgres.log,
  );
  say('stopped');
}

function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined)
    throw new StackError(`no Postgres server binaries in ${root}: apt-get install -y postgresql`);
  return path.join(root, newest, 'bin');
}

function chownToPostgresIfRoot(dir: string): void {
  if (process.getuid?.() !== 0) return;
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || uid <= 0)
    throw new StackError('running as root, but there is no postgres account to own the cluster');
  fs.chownSync(dir, uid, gid);
}

async function runAsPostgres(command: string, args: string[], logFile?: string): Promise<void> {
  const result =
    process.getuid?.() === 0
      ? await run('runuser', ['-u', 'postgres', '--', command, ...args])
      : await run(command, args);
  if (result.code !== 0) {
    throw new StackError(
      `${path.basename(command)} ${args.join(' ')} failed (exit ${result.code})\n${indent(result.output.trim(), '    | ')}`,
      logFile,
    );
  }
}

async function statusPostgres(env: ScriptEnv, paths: StackPaths): Promise<PartStatus> {
  let url = env.DATABASE_URL;
  let probe = await pgProbe(url);
  const privatePid = privatePostgresPid(paths);
  const privateUrl = readText(paths.postgres.url)?.trim();
  // `up` falls back to the private cluster only when DATABASE_URL does not answer; status follows it.
  if (!probe.ok && privateUrl) {
    url = privateUrl;
    probe = await pgProbe(url);
  }
  const managed = privateUrl !== undefined && url === privateUrl;
  const name = databaseName(url);
  return {
    part: 'postgres',
    address: redact(url),
    up: probe.ok && probe.value.hasDatabase,
    managed,
    pid: managed ? privatePid : undefined,
    detail: probe.ok
      ? `Postgres ${probe.value.version}, database ${name} ${probe.value.hasDatabase ? 'present' : 'missing (run up)'}`
      : probe.error,
    log: managed ? paths.postgres.log : probe.ok ? debianClusterLog(url, probe.value.cluster) : undefined,
  };
}

// ───────────────────────────── processes ─────────────────────────────

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readPid(file: string): number | undefined {
  const pid = Number.parseInt(readText(file)?.split('\n')[0] ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * True if the pid is a live process whose command line contains every needle. A zombie has an empty
 * cmdline, which matters here: PID 1 on these machines does not always reap orphans promptly.
 */
function processMatches(pid: number, needles: string[]): boolean {
  const cmdline = readText(`/proc/${pid}/cmdline`)?.split('\0').join(' ');
  return cmdline !== undefined && needles.every((needle) => cmdline.includes(needle));
}

function managedPid(pidFile: string, needles: string[]): number | undefined {
  const pid = readPid(pidFile);
  return pid !== undefined && processMatches(pid, needles) ? pid : undefined;
}

/** The child gets its own session (`detached`), so it outlives this process and the terminal's Ctrl-C. */
async function startDetached(spec: {
  command: string;
  args: string[];
  cwd: string;
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
}): Promise<number> {
  fs.mkdirSync(spec.cwd, { recursive: true });
  fs.appendFileSync(
    spec.logFile,
    `\n===== ${new Date().toISOString()} npm run stack -- up: ${spec.command} ${spec.args.join(' ')}\n`,
  );
  const fd = fs.openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new StackError(`${spec.command} did not start`);
    fs.writeFileSync(spec.pidFile, `${pid}\n`);
    return pid;
  } catch (error) {
    throw error instanceof StackError
      ? error
      : new StackError(`could not start ${spec.command}: ${errorText(error)}`);
  } finally {
    fs.closeSync(fd);
  }
}

async function stopManaged(pidFile: string, needles: string[], graceMs: number, say: Say): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === undefined) {
    say('not started by this stack (no pid file); nothing to stop');
    return;
  }
  if (!processMatches(pid, needles)) {
    say(`not running (pid file named ${pid}, which is gone); removed the pid file`);
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const started = Date.now();
  say(`stopping pid ${pid} (SIGTERM, up to ${seconds(graceMs)}) …`);
  signal(pid, 'SIGTERM');
  if (!(await waitForExit(pid, needles, graceMs))) {
    say(`pid ${pid} still running after ${seconds(graceMs)}: SIGKILL`);
    signal(pid, 'SIGKILL');
    if (!(await waitForExit(pid, needles, 10_000))) throw new StackError(`pid ${pid} survived SIGKILL`);
  }
  fs.rmSync(pidFile, { force: true });
  say(`stopped in ${seconds(Date.now() - started)}`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForExit(pid: number, needles: string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!processMatches(pid, needles)) return true;
    await sleep(200);
  }
  return !processMatches(pid, needles);
}

/** Polls until `probe` returns true; fails early if the process we wait for has died. */
async function waitUntil(
  what: string,
  probe: () => Promise<true | string>,
  options: { timeoutMs: number; isAlive?: () => boolean; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let last: string;
  for (;;) {
    const result = await probe();
    if (result === true) return;
    last = result;
    if (options.isAlive && !options.isAlive()) {
      throw new StackError(`${what} exited during start-up (last probe: ${last})`, options.logFile);
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${what} not healthy after ${seconds(options.timeoutMs)} (last probe: ${last})`,
        options.logFile,
      );
    }
    await sleep(500);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file created with O_EXCL; a holder that died (crash, Ctrl-C) leaves a stale file we take over. */
async function withStateLock<T>(paths: StackPaths, say: Say, fn: () => Promise<T>): Promise<T> {
  fs.mkdirSync(paths.root, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(paths.lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readPid(paths.lock);
      if (holder === undefined || !pidAlive(holder)) {
        fs.rmSync(paths.lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new StackError(`${displayPath(paths.lock)} is held by pid ${holder}`);
      if (!announced) say(`waiting for another stack command (pid ${holder}) to finish …`);
      announced = true;
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPid(paths.lock) === process.pid) fs.rmSync(paths.lock, { force: true });
  }
}

// ───────────────────────────── small helpers ─────────────────────────────

/** Runs the parts concurrently and reports every failure, not just the first. */
async function settleAll<T extends readonly unknown[]>(
  names: readonly string[],
  promises: readonly [...{ [K in keyof T]: Promise<T[K]> }],
): Promise<T> {
  const results = await Promise.allSettled(promises as readonly Promise<unknown>[]);
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [`${names[i] ?? i}: ${errorText(result.reason)}`] : [],
  );
  if (failures.length > 0) throw new StackError(failures.join('\n'));
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${message} within ${seconds(ms)}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a short command to completion with its output captured. Asynchronous (unlike spawnSync) so the
 * other parts keep polling while, say, initdb or a JVM runs.
 */
async function run(command: string, args: string[]): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', (error) => resolve({ code: errorText(error), output }));
    child.once('close', (code, signalName) => resolve({ code: code ?? signalName ?? 'unknown', output }));
  });
}

function commandPath(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

function countJars(dir: string): number {
  try {
    return fs.readdirSync(dir).filter((name) => name.endsWith('.jar')).length;
  } catch {
    return 0;
  }
}

function splitHostPort(address: string): { host: string; port: number } {
  const index = address.lastIndexOf(':');
  return { host: address.slice(0, index).replace(/^\[|\]$/g, ''), port: Number(address.slice(index + 1)) };
}

function isLoopback(host: string): boolean {
  return ['localhost', '127.0.0.1', '::1', '[::1]'].includes(host);
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function prefixed(say: Say, part: Part): Say {
  return (line) => say(`[${part}] ${line}`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text: string, prefix: string): string {
  return text
    .split('\n')
    .map((line) => `${prefix}${line}`)
    .join('\n');
}

/**
 * What a person needs from a failed start: the errors of the latest run (Kafka's real cause, such as a
 * BindException, sits far above the last lines), then its last lines. Stack frames are left out.
 */
function logExcerpt(file: string): string {
  const text = readText(file);
  if (text === undefined) return '(no log file yet)';
  const lines = text.trimEnd().split('\n');
  const runStart = lines.findLastIndex((line) => line.startsWith('===== '));
  const run = lines.slice(Math.max(runStart, 0));
  const clip = (line: string): string => (line.length > 240 ? `${line.slice(0, 240)} …` : line);
  const errors = [
    ...new Set(
      run.filter((line) => /\b(ERROR|FATAL|lvl=error)\b|^Caused by:|^\S+(Exception|Error): /.test(line)),
    ),
  ];
  const tail = run.slice(-6);
  const shown =
    errors.length > 0 ? [...errors.slice(0, 12).map(clip), '…', ...tail.map(clip)] : tail.map(clip);
  return shown.join('\n');
}

function errorText(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return error.errors.map(errorText).join('; ');
  if (error instanceof Error) {
    const text = error.message || (error as NodeJS.ErrnoException).code || error.name;
    // fetch() reports every network failure as "fetch failed"; the reason (ECONNREFUSED, …) is the cause.
    const cause = error.cause === undefined ? '' : errorText(error.cause);
    return cause && !text.includes(cause) ? `${text}: ${cause}` : text;
  }
  return String(error);
}

/** Paths under the current directory print relative (`.stack/kafka/broker.log`), others absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
