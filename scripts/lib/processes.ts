/**
 * Starting and stopping the MeterOps processes (worker, web, simulator) for `demo` and `test`: each
 * writes its output to a log file, and a detached one leaves a pid file so a later command can stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './env';

export interface StartedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** `npm run <script> -w <workspace> -- args`, run with the pinned Node from node_modules/.bin. */
export function startProcess(options: {
  name: string;
  command: string[];
  env: Record<string, string>;
  logsDir: string;
  /** Outlives this script (demo); its pid is written to `<logsDir>/<name>.pid`. */
  detached?: boolean;
}): StartedProcess {
  fs.mkdirSync(options.logsDir, { recursive: true });
  const logFile = path.join(options.logsDir, `${options.name}.log`);
  const log = fs.openSync(logFile, 'a');
  const [command, ...args] = options.command;
  if (!command) throw new Error(`no command for ${options.name}`);
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...options.env,
      PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  if (options.detached) {
    child.unref();
    fs.writeFileSync(pidFile(options.logsDir, options.name), String(child.pid));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name: options.name,
    child,
    logFile,
    exited,
    async stop() {
      if (child.exitCode !== null || child.pid === undefined) return;
      // The process group: npm → tsx → node, or next start's workers, all go together.
      killGroup(child.pid, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(15_000).then(() => true)]);
      if (timedOut) killGroup(child.pid, 'SIGKILL');
    },
  };
}

const pidFile = (logsDir: string, name: string) => path.join(logsDir, `${name}.pid`);

/** Stops a detached process started by an earlier command, if its pid file names a live process. */
export async function stopDetached(
  logsDir: string,
  name: string,
  say: (line: string) => void,
): Promise<void> {
  const file = pidFile(logsDir, name);
  if (!fs.existsSync(file)) return;
  const pid = Number(fs.readFileSync(file, 'utf8'));
  fs.rmSync(file);
  if (!Number.isInteger(pid) || !isAlive(pid)) return;
  say(`stopping ${name} (pid ${pid})`);
  killGroup(pid, 'SIGTERM');
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 200) await sleep(200);
  if (isAlive(pid)) killGroup(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `url` until it answers with a status below 500, or throws with the log's tail. */
export async function waitForHttp(url: string, started: StartedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null) {
      throw new Error(
        `${started.name} exited with ${started.child.exitCode}; see ${started.logFile}\n${tail(started.logFile)}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `${started.name} did not answer ${url} in time; see ${started.logFile}\n${tail(started.logFile)}`,
      );
    await sleep(300);
  }
}

/** Waits until the process's log contains `text`. */
export async function waitForLog(started: StartedProcess, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (fs.existsSync(started.logFile) && fs.readFileSync(started.logFile, 'utf8').includes(text)) return;
    if (started.child.exitCode !== null) {
      throw new Error(
        `${started.name} exited with ${started.child.exitCode}; see ${started.logFile}\n${tail(started.logFile)}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(
        `${started.name} did not log "${text}" in time; see ${started.logFile}\n${tail(started.logFile)}`,
      );
    await sleep(300);
  }
}

function tail(file: string, lines = 30): string {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

/** Runs a command to completion with the pinned Node first on PATH, output to this terminal; its exit code. */
export function runCommand(command: string[], extraEnv: Record<string, string> = {}): number {
  const [bin, ...args] = command;
  if (!bin) throw new Error('runCommand needs a command');
  const result = spawnSync(bin, args, {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...extraEnv,
      PATH: `${path.join(REPO_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    },
  });
  return result.status ?? 1;
}

/**
 * kafkajs 2.2.4 passes a negative delay to setTimeout on Node 24, which Node clamps to 1 ms (as older
 * Nodes did silently) and reports as TimeoutNegativeWarning (tulios/kafkajs#1751). It is harmless and
 * would land in the middle of a command's output; every other warning still prints.
 */
export function hideKafkajsTimeoutWarning(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name !== 'TimeoutNegativeWarning') console.warn(`(node) ${warning.name}: ${warning.message}`);
  });
}
