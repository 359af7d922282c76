/**
 * The retention policy over the archive: which months are due (older than the raw-reading retention
 * in Postgres, or than the archive retention in years) and carrying them out month by month, so a
 * failure on one month leaves it in Postgres and stops the run before the next.
 */
import { archiveMonth, manifestKey, monthStates, readManifest, type ArchiveDeps } from './archive';
import { addMonths } from './months';

export interface ArchiveRunResult {
  archived: { month: string; readings: number; revisions: number }[];
  purged: string[];
}

/** Months with a partition in Postgres before `before` (`YYYY-MM`), oldest first. */
export async function monthsDue(deps: Pick<ArchiveDeps, 'sql'>, before: string): Promise<string[]> {
  return (await monthStates(deps.sql))
    .filter((state) => state.inPostgres && state.month < before)
    .map((state) => state.month);
}

/**
 * Archives every month before `before` still in Postgres. A month already written (and unchanged) is
 * only verified and dropped; one that changed since is written again.
 */
export async function archiveBefore(
  deps: ArchiveDeps,
  before: string,
  onMonth?: (month: string, index: number, total: number) => Promise<void> | void,
): Promise<ArchiveRunResult['archived']> {
  const months = await monthsDue(deps, before);
  const archived: ArchiveRunResult['archived'] = [];
  for (const [index, month] of months.entries()) {
    await onMonth?.(month, index, months.length);
    const manifest = await archiveMonth(deps, month);
    archived.push({ month, readings: manifest.readings.rows, revisions: manifest.revisions.rows });
  }
  return archived;
}

/**
 * Deletes the archive files of dropped months before `before` (the archive retention) and marks them
 * purged. Months still in Postgres are never touched.
 */
export async function purgeBefore(
  deps: Pick<ArchiveDeps, 'sql' | 'store'>,
  before: string,
): Promise<string[]> {
  const due = (await monthStates(deps.sql)).filter(
    (state) => !state.inPostgres && state.droppedAt !== null && state.month < before,
  );
  const purged: string[] = [];
  for (const state of due) {
    const [row] = await deps.sql<{ purgedAt: Date | null }[]>`
      select purged_at as "purgedAt" from archived_months where month = ${`${state.month}-01`}`;
    if (row?.purgedAt !== null && row?.purgedAt !== undefined) continue;
    const manifest = await readManifest(deps.store, state.month);
    for (const file of manifest?.files ?? []) await deps.store.delete(file.key);
    await deps.store.delete(manifestKey(state.month));
    await deps.sql`update archived_months set purged_at = now() where month = ${`${state.month}-01`}`;
    purged.push(state.month);
  }
  return purged;
}

/** The first month the archive keeps under a retention of `years`. */
export function archiveCutoff(currentMonth: string, years: number): string {
  return addMonths(currentMonth, -12 * years);
}
