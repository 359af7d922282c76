/**
 * A private Postgres cluster and a private Kafka broker for tests that restart or kill them: started
 * from the same binaries and jars as the stack (Debian's Postgres, the broker jars under the state
 * folder), on free ports, in temporary folders, so stopping them disturbs nothing else.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a Postgres tool as the postgres account when root (initdb refuses root), without blocking. */
function asPostgres(command: string, args: string[]): Promise<{ status: number; output: string }> {
  const [file, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return new Promise((resolve) => {
    execFile(file, argv, { encoding: 'utf8' }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ status, output: `${stdout}${stderr}` });
    });
  });
}

function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const newest = fs
    .readdirSync(root)
    .filter((version) => fs.existsSync(path.join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no Postgres binaries under ${root}`);
  return path.join(root, newest, 'bin');
}

export interface PrivatePostgres {
  /** URL of database `name` on this cluster. */
  url(name: string): string;
  port: number;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meterops-pg-'));
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'postgres.log');
  const port = await freePort();
  if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
  const init = await asPostgres(path.join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
    '--no-instructions',
  ]);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  fs.appendFileSync(
    path.join(data, 'postgresql.conf'),
    `\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n`,
  );
  const pgCtl = async (...args: string[]) => {
    const result = await asPostgres(path.join(bin, 'pg_ctl'), [
      '-D',
      data,
      '-l',
      log,
      '-w',
      '-t',
      '60',
      ...args,
    ]);
    if (result.status !== 0) throw new Error(`pg_ctl ${args.join(' ')} failed: ${result.output}`);
  };
  await pgCtl('start');
  return {
    port,
    url: (name) => `postgres://postgres@127.0.0.1:${port}/${name}`,
    stop: (mode = 'fast') => pgCtl('-m', mode, 'stop'),
    start: () => pgCtl('start'),
    async destroy() {
      await asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateKafka {
  brokers: string[];
  /** SIGKILL: the broker dies mid-request, as on a crash or a lost machine. */
  kill(): Promise<void>;
  /** Starts it again on the same data and ports. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function kafkaLibs(): string {
  const stateDir = process.env.METEROPS_STATE_DIR || '.stack';
  const libs = path.resolve(repoRoot, stateDir, 'kafka', 'libs');
  if (!fs.existsSync(libs) || fs.readdirSync(libs).length === 0) {
    throw new Error(`no Kafka jars in ${libs}: run npm run stack -- up first`);
  }
  return libs;
}

/** A one-node KRaft broker like the stack's, in a temporary folder, with auto topic creation off. */
export async function startPrivateKafka(): Promise<PrivateKafka> {
  const libs = kafkaLibs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meterops-kafka-'));
  const [port, controllerPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'server.properties');
  fs.writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      'num.partitions=1',
      '',
    ].join('\n'),
  );
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const format = spawnSync(
    'java',
    [
      '-cp',
      `${libs}/*`,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      '-t',
      clusterId,
      '-c',
      config,
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`formatting the private broker failed: ${format.stdout}${format.stderr}`);

  let child: ChildProcess | null = null;
  const log = fs.openSync(path.join(dir, 'broker.log'), 'a');
  const waitForPort = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const open = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      if (Date.now() > deadline) throw new Error(`private broker did not open port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const start = async () => {
    child = spawn(
      'java',
      [
        '-Xms128m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        '-cp',
        `${libs}/*`,
        'kafka.Kafka',
        config,
      ],
      { stdio: ['ignore', log, log] },
    );
    await waitForPort(90_000);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
    child = null;
  };
  await start();
  return {
    brokers: [`127.0.0.1:${port}`],
    kill,
    start,
    async destroy() {
      await kill();
      fs.closeSync(log);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
