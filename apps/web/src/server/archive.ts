import 'server-only';
/**
 * Raw readings of months that live only in the Parquet archive, for the portal's raw-reading views (an
 * agent's meter day, a customer's day view). Aggregates stay in Postgres; these reads fill in the
 * intervals and revisions the dropped partitions no longer hold, and tell the page they came from the
 * archive.
 */
import { archivePaths, createStore } from '@meterops/archive/config';
import {
  ArchiveReader,
  archivedMonthsBetween,
  type ArchivedReading,
  type ArchivedRevision,
} from '@meterops/archive/reader';
import type { Sql } from '@meterops/db/client';
import { env } from '../env';

let reader: ArchiveReader | null = null;

function archiveReader(): ArchiveReader {
  reader ??= new ArchiveReader(createStore(env), archivePaths(env).workDir);
  return reader;
}

export interface ArchivedSpan {
  /** `YYYY-MM` months of [from, to) read from the archive; empty when Postgres holds it all. */
  months: string[];
  readings: ArchivedReading[];
}

/** The meter's archived readings over [from, to); nothing (and no archive access) for live months. */
export async function archivedReadings(
  sql: Sql,
  params: { meterId: string; from: Date; to: Date },
): Promise<ArchivedSpan> {
  const months = await archivedMonthsBetween(sql, params);
  if (months.length === 0) return { months, readings: [] };
  return { months, readings: await archiveReader().readings({ ...params, months }) };
}

/** The meter's archived revisions over [from, to) (or of one interval), newest first. */
export async function archivedRevisions(
  sql: Sql,
  params: { meterId: string; from: Date; to: Date; intervalStart?: Date; limit: number },
): Promise<{ months: string[]; revisions: ArchivedRevision[] }> {
  const months = await archivedMonthsBetween(sql, params);
  if (months.length === 0) return { months, revisions: [] };
  return { months, revisions: await archiveReader().revisions({ ...params, months }) };
}

/** Which of the `YYYY-MM` months overlapping [from, to) are archived (their raw readings left Postgres). */
export async function archivedMonths(sql: Sql, params: { from: Date; to: Date }): Promise<Set<string>> {
  return new Set(await archivedMonthsBetween(sql, params));
}
