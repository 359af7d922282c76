/**
 * npm run rejects -- redrive|dismiss [filters] --actor cli:<name>: resolves quarantined rejects from a
 * shell, with the same query functions as the portal's /ops/rejects. Prints the dry-run count first, then
 * progress. Only open rejects are touched, at most --limit (default and maximum 10,000) per run.
 */
import { parseArgs } from 'node:util';
import { createDb } from '@meterops/db/client';
import {
  countOpenRejects,
  dismissRejects,
  MAX_REJECTS_PER_ACTION,
  redriveRejects,
  type RejectSelection,
} from '@meterops/db/queries/rejects';
import { env } from '../env';
import { createKafka, createProducer } from '../kafka';

const usage = `usage: npm run rejects -- <redrive|dismiss> [options] --actor cli:<name>
  --rule RULE        only rejects of this rule (e.g. unknown_meter)
  --meter ID         only rejects of this meter
  --from ISO         received at or after (e.g. 2026-11-20T00:00:00Z)
  --to ISO           received before
  --reason TEXT      why, kept on each reject (required for dismiss)
  --limit N          resolve at most N (default and maximum ${MAX_REJECTS_PER_ACTION})
  --dry-run          only count the open rejects it would touch
Re-drive publishes to ${env.READINGS_TOPIC} (READINGS_TOPIC); the running worker validates them again.`;

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rule: { type: 'string' },
    meter: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    reason: { type: 'string' },
    limit: { type: 'string' },
    actor: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

const [command] = positionals;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (command !== 'redrive' && command !== 'dismiss') fail(`unknown command "${command ?? ''}"`);

/** An instant with its offset, as everywhere else: a bare local time would depend on this machine's zone. */
function instant(flag: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(raw) || Number.isNaN(Date.parse(raw))) {
    fail(`--${flag} must be an ISO instant with Z or an offset, got "${raw}"`);
  }
  return new Date(raw);
}

const actor = values.actor?.trim() ?? '';
if (!/^cli:\S+$/.test(actor)) fail('--actor must be cli:<name>, e.g. --actor cli:alice');
const reason = values.reason?.trim();
// A dry run only counts, so it needs no reason.
if (command === 'dismiss' && !values['dry-run'] && (reason === undefined || reason.length < 3)) {
  fail('dismiss needs --reason "…" (at least 3 characters)');
}
const limit = values.limit === undefined ? MAX_REJECTS_PER_ACTION : Number(values.limit);
if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REJECTS_PER_ACTION) {
  fail(`--limit must be a whole number from 1 to ${MAX_REJECTS_PER_ACTION}`);
}
const selection: RejectSelection = {
  ...(values.rule ? { rule: values.rule } : {}),
  ...(values.meter ? { meterId: values.meter } : {}),
  ...(values.from ? { from: instant('from', values.from) } : {}),
  ...(values.to ? { to: instant('to', values.to) } : {}),
};
if (selection.from && selection.to && selection.from >= selection.to) fail('--to must be after --from');

const described =
  Object.entries(selection)
    .map(([key, value]) => `${key}=${value instanceof Date ? value.toISOString() : String(value)}`)
    .join(' ') || 'every reject';

const { db, close } = createDb({ max: 2, applicationName: 'meterops-rejects-cli' });
let exitCode = 0;
try {
  const open = await countOpenRejects(db, selection);
  const target = Math.min(open, limit);
  console.log(`${open} open rejects match ${described}; ${command} would touch ${target}`);
  if (!values['dry-run'] && target > 0) {
    if (command === 'dismiss') {
      const result = await dismissRejects(db, { ...selection, actor, reason: reason ?? '', limit });
      console.log(`dismissed ${result.dismissed} as ${actor}: "${reason}"; ${result.remaining} still open`);
    } else {
      await redrive(db, target);
    }
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await close();
}
process.exit(exitCode);

async function redrive(database: typeof db, target: number): Promise<void> {
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'meterops-rejects-cli' });
  const producer = await createProducer(kafka);
  try {
    const result = await redriveRejects(database, {
      ...selection,
      actor,
      ...(reason ? { note: reason } : {}),
      limit,
      publish: (messages) =>
        producer.send(
          env.READINGS_TOPIC,
          messages.map(({ key, value, headers }) => ({ key, value, headers })),
        ),
      onProgress: (progress) =>
        console.log(`re-drove ${progress.redriven}/${target} rejects in ${progress.messages} messages`),
    });
    console.log(
      `re-drove ${result.redriven} rejects to ${env.READINGS_TOPIC} as ${actor}; ${result.remaining} still open`,
    );
  } finally {
    await producer.stop();
  }
}
