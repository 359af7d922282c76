/**
 * Keeps a command running: restarts it whenever it exits, with exponential backoff (1 s doubling to a
 * ceiling) that resets once a run has lasted a while, so a crash loop slows down and a rare crash
 * recovers at once. SIGTERM/SIGINT stop the child and the supervisor together. Used by `npm run demo`
 * for the worker; production uses systemd (docs/operations.md), which does the same.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SupervisorOptions {
  name: string;
  command: string[];
  /** Backoff ceiling. */
  maxBackoffMs?: number;
  /** A run that lasted this long resets the backoff to its start. */
  healthyAfterMs?: number;
  say?: (line: string) => void;
}

export function backoffMs(consecutiveFailures: number, maxBackoffMs: number): number {
  return Math.min(maxBackoffMs, 1_000 * 2 ** Math.max(0, consecutiveFailures - 1));
}

/** Runs until stopped; resolves once the child has exited after `stop()`. */
export function supervise(options: SupervisorOptions): { stop(): Promise<void>; done: Promise<void> } {
  const say = options.say ?? ((line: string) => console.log(`[supervise] ${line}`));
  const maxBackoffMs = options.maxBackoffMs ?? 60_000;
  const healthyAfterMs = options.healthyAfterMs ?? 60_000;
  const [command, ...args] = options.command;
  if (!command) throw new Error('supervise: no command');
  let child: ChildProcess | null = null;
  let stopping = false;
  let failures = 0;
  let restarts = 0;
  let timer: NodeJS.Timeout | null = null;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const start = () => {
    timer = null;
    const startedAt = Date.now();
    child = spawn(command, args, { stdio: 'inherit' });
    say(`${options.name} started (pid ${child.pid ?? '?'})${restarts > 0 ? `, restart #${restarts}` : ''}`);
    child.once('exit', (code, signal) => {
      child = null;
      if (stopping) {
        finish();
        return;
      }
      const ranMs = Date.now() - startedAt;
      failures = ranMs >= healthyAfterMs ? 1 : failures + 1;
      restarts += 1;
      const wait = backoffMs(failures, maxBackoffMs);
      say(
        `${options.name} exited (${signal ? `signal ${signal}` : `code ${code}`}) after ${Math.round(ranMs / 1000)} s; ` +
          `restarting in ${wait / 1000} s`,
      );
      timer = setTimeout(start, wait);
    });
  };
  start();

  return {
    done,
    async stop() {
      stopping = true;
      if (timer) {
        clearTimeout(timer);
        finish();
      }
      child?.kill('SIGTERM');
      await done;
    },
  };
}
