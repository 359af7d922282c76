/**
 * `npm run archive -- --before YYYY-MM | month YYYY-MM | restore YYYY-MM | drop YYYY-MM | status`:
 * moves months of raw readings between Postgres and the Parquet archive, printing each step. The
 * scheduled job `archive` does the same as `--before` with the retention setting.
 */
import { parseArgs } from 'node:util';
import {
  archiveMonth,
  dropMonth,
  monthStates,
  restoreMonth,
  type ArchiveDeps,
  type ArchiveProgress,
} from '@meterops/archive/archive';
import { archiveBefore } from '@meterops/archive/lifecycle';
import { isMonthKey } from '@meterops/archive/months';
import { createDb } from '@meterops/db/client';
import { env } from '../env';
import { lifecycleSettings } from '../lifecycle';

const usage = `usage: npm run archive -- <command>
  --before YYYY-MM   archive every month before YYYY-MM still in Postgres: write Parquet and manifest,
                     read them back, match Postgres, then detach and drop the partition
  month YYYY-MM      archive one month (also: drop a restored month that changed since)
  restore YYYY-MM    bring an archived month back into Postgres (same rows, versions, revisions)
  drop YYYY-MM       drop a restored month again, after verifying it against its archive
  status             every month: in Postgres, archived, dropped, restored

Storage: ARCHIVE_DIR (default $METEROPS_STATE_DIR/archive), or S3 with ARCHIVE_S3_BUCKET,
ARCHIVE_S3_ENDPOINT, ARCHIVE_S3_ACCESS_KEY_ID, ARCHIVE_S3_SECRET_ACCESS_KEY, ARCHIVE_S3_REGION.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { before: { type: 'string' }, help: { type: 'boolean', default: false } },
});

function month(value: string | undefined, what: string): string {
  if (value === undefined || !isMonthKey(value)) {
    console.error(
      `${what} needs a month YYYY-MM${value === undefined ? '' : `, got "${value}"`}\n\n${usage}`,
    );
    process.exit(2);
  }
  return value;
}

const [command, argument] = positionals;
if (values.help || (command === undefined && values.before === undefined)) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
const print = (progress: ArchiveProgress) =>
  console.log(
    `[${elapsed()}] ${progress.month} ${progress.step}${progress.total > 0 ? ` ${progress.done}/${progress.total}` : ''}` +
      (progress.message === undefined ? '' : `: ${progress.message}`),
  );

const settings = lifecycleSettings(env);
const { sql, close } = createDb({ max: 3, applicationName: 'meterops-archive-cli' });
const deps: ArchiveDeps = { sql, store: settings.store, workDir: settings.workDir, onProgress: print };
let exitCode = 0;
try {
  console.log(`archive: ${settings.store.description}`);
  if (values.before !== undefined) {
    const before = month(values.before, '--before');
    const archived = await archiveBefore(deps, before, (key, index, total) =>
      console.log(`[${elapsed()}] ${key}: month ${index + 1} of ${total}`),
    );
    if (archived.length === 0) console.log(`no month before ${before} is in Postgres`);
    for (const entry of archived)
      console.log(
        `${entry.month}: ${entry.readings} readings, ${entry.revisions} revisions archived and dropped`,
      );
  } else if (command === 'month') {
    const manifest = await archiveMonth(deps, month(argument, 'month'));
    console.log(`${manifest.month}: ${manifest.readings.rows} readings archived and dropped (${elapsed()})`);
  } else if (command === 'restore') {
    const manifest = await restoreMonth(deps, month(argument, 'restore'));
    console.log(
      `${manifest.month}: ${manifest.readings.rows} readings and ${manifest.revisions.rows} revisions restored (${elapsed()})`,
    );
  } else if (command === 'drop') {
    const manifest = await dropMonth(deps, month(argument, 'drop'));
    console.log(`${manifest.month}: dropped again (${elapsed()})`);
  } else if (command === 'status') {
    const states = await monthStates(sql);
    console.log('month    where              rows        archived             dropped              restored');
    const at = (date: Date | null) =>
      date === null ? '-' : date.toISOString().slice(0, 19).replace('T', ' ');
    for (const state of states) {
      const where = state.inPostgres
        ? state.archivedAt === null
          ? 'postgres'
          : 'postgres+archive'
        : 'archive';
      console.log(
        `${state.month}  ${where.padEnd(17)}  ${String(state.rows).padStart(10)}  ${at(state.archivedAt).padEnd(19)}  ${at(state.droppedAt).padEnd(19)}  ${at(state.restoredAt)}`,
      );
    }
  } else {
    console.error(`unknown command "${command}"\n\n${usage}`);
    exitCode = 2;
  }
} catch (error) {
  console.error(
    `archive failed; the month stays in Postgres: ${error instanceof Error ? error.message : String(error)}`,
  );
  exitCode = 1;
} finally {
  await close();
}
process.exit(exitCode);
