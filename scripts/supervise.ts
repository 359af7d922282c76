/**
 * `tsx scripts/supervise.ts --name NAME [--max-backoff-ms N] -- command args…`: runs the command and
 * restarts it with backoff whenever it exits (scripts/lib/supervisor.ts). `npm run demo` runs the worker
 * under it, so a worker that exits (a fatal error, a kill) comes back by itself.
 */
import { parseArgs } from 'node:util';
import { supervise } from './lib/supervisor';

const separator = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, separator === -1 ? undefined : separator),
  options: { name: { type: 'string', default: 'process' }, 'max-backoff-ms': { type: 'string' } },
});
const command = separator === -1 ? [] : process.argv.slice(separator + 1);
if (command.length === 0) {
  console.error('usage: tsx scripts/supervise.ts --name NAME [--max-backoff-ms N] -- command args…');
  process.exit(2);
}
const supervisor = supervise({
  name: values.name,
  command,
  maxBackoffMs: values['max-backoff-ms'] ? Number(values['max-backoff-ms']) : undefined,
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    void supervisor.stop().then(() => process.exit(0));
  });
}
await supervisor.done;
