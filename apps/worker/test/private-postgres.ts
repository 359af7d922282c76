/**
 * A private Postgres cluster for tests that stop and start it: Debian's binaries, as the stack's fallback
 * uses them, on a free port in a temporary folder, so stopping it disturbs nothing else. (The private
 * Kafka broker is in private-kafka.ts.)
 */
import { execFile, spawnSync } from 'node:child_process';
import { freePort } from '@meterops/metrics/testing/influxd';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

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
