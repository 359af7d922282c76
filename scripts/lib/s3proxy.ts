/**
 * The S3-compatible server of the development stack: s3proxy (org.gaul:s3proxy, pinned by
 * infra/s3proxy/pom.xml and fetched from Maven Central into the state folder like the Kafka jars) on its
 * filesystem backend, with its data under `<state>/s3proxy/data`. The archive uses it when
 * ARCHIVE_S3_BUCKET names a bucket (see docs/operations.md); the integration tests use it for the S3 path.
 *
 * Invariants (those of stack.ts): idempotent; a process is ours only if its pid file names it and its
 * command line shows our own config path; a service already answering at ARCHIVE_S3_ENDPOINT is used as it
 * is and never started or stopped here.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const POM = path.join(REPO_ROOT, 'infra', 's3proxy', 'pom.xml');
/** Preferred port; a free one is taken when something else listens there. */
const PREFERRED_PORT = 8087;
const HEAP = ['-Xms64m', '-Xmx256m'];
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** Development credentials of the local server; a real store takes them from the environment. */
const S3PROXY_CREDENTIALS = {
  accessKeyId: 'meterops',
  secretAccessKey: 'meterops-local-secret',
} as const;
const S3PROXY_BUCKET = 'meterops-archive';

export interface S3proxyPaths {
  dir: string;
  libs: string;
  libsStamp: string;
  data: string;
  config: string;
  logback: string;
  log: string;
  pid: string;
  /** The endpoint the running server listens on (its port may not be the preferred one). */
  endpointFile: string;
}

export function s3proxyPaths(stateDir: string): S3proxyPaths {
  const dir = path.join(stateDir, 's3proxy');
  return {
    dir,
    libs: path.join(dir, 'libs'),
    libsStamp: path.join(dir, 'libs', '.pom.sha256'),
    data: path.join(dir, 'data'),
    config: path.join(dir, 's3proxy.conf'),
    logback: path.join(dir, 'logback.xml'),
    log: path.join(dir, 's3proxy.log'),
    pid: path.join(dir, 's3proxy.pid'),
    endpointFile: path.join(dir, 'endpoint'),
  };
}

export interface S3proxyInfo {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Started by this call (false: it was already running, or an external endpoint answered). */
  started: boolean;
  managed: boolean;
  log?: string;
  pid?: number;
}

type Say = (line: string) => void;

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function ourPid(paths: S3proxyPaths): number | undefined {
  const pid = Number.parseInt(readText(paths.pid)?.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const cmdline = readText(`/proc/${pid}/cmdline`)?.split('\0').join(' ');
  return cmdline?.includes('org.gaul.s3proxy.Main') && cmdline.includes(paths.config) ? pid : undefined;
}

/** Any HTTP answer means a server listens; s3proxy answers an unsigned request with 403. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  if (await portFree(PREFERRED_PORT)) return PREFERRED_PORT;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function countJars(dir: string): number {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.jar')).length : 0;
}

/** Copies s3proxy and its dependencies from Maven Central once (again only when the pom changes). */
function copyJars(paths: S3proxyPaths, say: Say): void {
  const pomHash = createHash('sha256').update(fs.readFileSync(POM)).digest('hex');
  if (countJars(paths.libs) > 0 && readText(paths.libsStamp)?.trim() === pomHash) return;
  const tmp = `${paths.libs}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(paths.dir, { recursive: true });
  say(`fetching s3proxy with Maven (${path.relative(REPO_ROOT, POM)}) …`);
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      POM,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${tmp}`,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0 || countJars(tmp) === 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').slice(-20).join('\n');
    throw new Error(
      `Maven could not copy the s3proxy jars (${result.error?.message ?? `exit ${result.status}`}):\n${output}`,
    );
  }
  fs.writeFileSync(path.join(tmp, '.pom.sha256'), `${pomHash}\n`);
  fs.rmSync(paths.libs, { recursive: true, force: true });
  fs.renameSync(tmp, paths.libs);
  say(`copied ${countJars(paths.libs)} jars`);
}

function writeConfig(paths: S3proxyPaths, endpoint: string): void {
  // The filesystem backend keeps a bucket as a folder, so the archive's bucket exists from the start.
  fs.mkdirSync(path.join(paths.data, S3PROXY_BUCKET), { recursive: true });
  fs.writeFileSync(
    paths.config,
    [
      `s3proxy.endpoint=${endpoint}`,
      's3proxy.authorization=aws-v2-or-v4',
      `s3proxy.identity=${S3PROXY_CREDENTIALS.accessKeyId}`,
      `s3proxy.credential=${S3PROXY_CREDENTIALS.secretAccessKey}`,
      'jclouds.provider=filesystem',
      `jclouds.filesystem.basedir=${paths.data}`,
      '',
    ].join('\n'),
  );
  // Without a configuration logback logs every request at DEBUG.
  fs.writeFileSync(
    paths.logback,
    `<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5level %logger{20} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
`,
  );
}

function info(paths: S3proxyPaths, endpoint: string, started: boolean): S3proxyInfo {
  return {
    endpoint,
    bucket: S3PROXY_BUCKET,
    ...S3PROXY_CREDENTIALS,
    started,
    managed: true,
    log: paths.log,
    pid: ourPid(paths),
  };
}

/**
 * Starts s3proxy unless it runs already, and waits until it answers. With `externalEndpoint` (the
 * configured ARCHIVE_S3_ENDPOINT) answering, nothing is started.
 */
export async function ensureS3proxyUp(options: {
  stateDir: string;
  externalEndpoint?: string;
  say?: Say;
}): Promise<S3proxyInfo> {
  const say = options.say ?? console.log;
  if (options.externalEndpoint !== undefined && (await answers(options.externalEndpoint))) {
    return {
      endpoint: options.externalEndpoint,
      bucket: S3PROXY_BUCKET,
      ...S3PROXY_CREDENTIALS,
      started: false,
      managed: false,
    };
  }
  const paths = s3proxyPaths(options.stateDir);
  const running = readText(paths.endpointFile)?.trim();
  if (ourPid(paths) !== undefined && running !== undefined && (await answers(running))) {
    return info(paths, running, false);
  }
  copyJars(paths, say);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  writeConfig(paths, endpoint);
  fs.appendFileSync(paths.log, `\n===== ${new Date().toISOString()} starting s3proxy on ${endpoint}\n`);
  const fd = fs.openSync(paths.log, 'a');
  try {
    const child = spawn(
      'java',
      [
        ...HEAP,
        `-Dlogback.configurationFile=${paths.logback}`,
        '-cp',
        `${paths.libs}/*`,
        'org.gaul.s3proxy.Main',
        '--properties',
        paths.config,
      ],
      { cwd: paths.dir, detached: true, stdio: ['ignore', fd, fd] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    fs.writeFileSync(paths.pid, `${child.pid}\n`);
  } finally {
    fs.closeSync(fd);
  }
  fs.writeFileSync(paths.endpointFile, `${endpoint}\n`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await answers(endpoint))) {
    if (ourPid(paths) === undefined) throw new Error(`s3proxy exited during start-up; see ${paths.log}`);
    if (Date.now() > deadline)
      throw new Error(`s3proxy did not answer within ${START_TIMEOUT_MS / 1000} s; see ${paths.log}`);
    await sleep(300);
  }
  say(`s3proxy listens on ${endpoint} (data ${paths.data})`);
  return info(paths, endpoint, true);
}

/** Stops the s3proxy this module started (and nothing else). */
export async function stopS3proxy(options: { stateDir: string; say?: Say }): Promise<void> {
  const say = options.say ?? console.log;
  const paths = s3proxyPaths(options.stateDir);
  const pid = ourPid(paths);
  if (pid === undefined) {
    fs.rmSync(paths.pid, { force: true });
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (ourPid(paths) !== undefined && Date.now() < deadline) await sleep(200);
  if (ourPid(paths) !== undefined) process.kill(pid, 'SIGKILL');
  fs.rmSync(paths.pid, { force: true });
  say(`s3proxy (pid ${pid}) stopped`);
}

export async function s3proxyStatus(options: { stateDir: string }): Promise<{
  up: boolean;
  address: string;
  pid?: number;
  log: string;
}> {
  const paths = s3proxyPaths(options.stateDir);
  const endpoint = readText(paths.endpointFile)?.trim() ?? `http://127.0.0.1:${PREFERRED_PORT}`;
  const pid = ourPid(paths);
  return { up: pid !== undefined && (await answers(endpoint)), address: endpoint, pid, log: paths.log };
}
