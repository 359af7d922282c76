/**
 * Raw-reading reads over archived months, without restoring them: the months whose partition was
 * dropped (archived_months.dropped_at) are answered by DuckDB from the month's Parquet files, opening
 * only the files whose meter range holds the meter (from the manifest) and, inside them, only the row
 * groups whose statistics do. Aggregates (hourly, daily, monthly) stay in Postgres and are not read here.
 */
import type { Sql } from '@meterops/db/client';
import { readManifest } from './archive';
import { duck, fileList, text, textOrNull } from './duck';
import { filesForMeter, type MonthManifest } from './manifest';
import { monthBounds } from './months';
import type { ArchiveStore } from './storage';

export type ReadingQuality = 'actual' | 'estimated' | 'edited';

export interface ArchivedReading {
  intervalStart: Date;
  kwh: string;
  quality: ReadingQuality;
  estimationMethod: string | null;
  flags: string[];
  source: string;
  version: number;
  receivedAt: Date;
  revisedAt: Date | null;
  firstReceivedAt: Date;
}

export interface ArchivedRevision {
  id: number;
  intervalStart: Date;
  oldKwh: string | null;
  newKwh: string;
  oldQuality: ReadingQuality | null;
  newQuality: ReadingQuality;
  oldVersion: number | null;
  newVersion: number;
  source: 'meter_resend' | 'agent' | 'estimation' | 'reprocess' | 'review';
  reason: string;
  actor: string;
  createdAt: Date;
}

/** The `YYYY-MM` months overlapping [from, to) whose readings are in the archive only. */
export async function archivedMonthsBetween(sql: Sql, params: { from: Date; to: Date }): Promise<string[]> {
  const rows = await sql<{ month: string }[]>`
    select to_char(month, 'YYYY-MM') as month from archived_months
    where dropped_at is not null and purged_at is null
      and month < ${params.to} and month + interval '1 month' > ${params.from}
    order by month`;
  return rows.map((row) => row.month);
}

/**
 * Every `YYYY-MM` month whose partition the archive dropped and no restore brought back (purged months
 * included): ingest refuses readings there rather than recreating the partition beside the archive.
 */
export async function droppedMonths(sql: Sql): Promise<string[]> {
  const rows = await sql<{ month: string }[]>`
    select to_char(month, 'YYYY-MM') as month from archived_months where dropped_at is not null order by month`;
  return rows.map((row) => row.month);
}

const toDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : new Date(Number(value));

/** Reads archived months through a store; manifests are kept per month until the month is archived again. */
export class ArchiveReader {
  private readonly manifests = new Map<string, Promise<MonthManifest | null>>();

  constructor(
    private readonly store: ArchiveStore,
    private readonly tempDir: string,
  ) {}

  private manifest(month: string): Promise<MonthManifest | null> {
    let manifest = this.manifests.get(month);
    if (manifest === undefined) {
      manifest = readManifest(this.store, month);
      this.manifests.set(month, manifest);
      manifest.catch(() => this.manifests.delete(month));
    }
    return manifest;
  }

  /** Forgets cached manifests (after a month was archived again). */
  forget(month?: string): void {
    if (month === undefined) this.manifests.clear();
    else this.manifests.delete(month);
  }

  private async filesOf(months: readonly string[], meterId: string, kind: 'readings' | 'revisions') {
    const files: string[] = [];
    for (const month of months) {
      const manifest = await this.manifest(month);
      if (manifest === null)
        throw new Error(`archived month ${month} has no manifest on ${this.store.description}`);
      const wanted =
        kind === 'readings'
          ? filesForMeter(manifest, meterId)
          : manifest.files.filter((file) => file.kind === kind);
      for (const file of wanted) files.push(await this.store.localPath(file.key));
    }
    return files;
  }

  /** The meter's archived readings in [from, to) of the given archived months, oldest first. */
  async readings(params: {
    months: readonly string[];
    meterId: string;
    from: Date;
    to: Date;
  }): Promise<ArchivedReading[]> {
    const files = await this.filesOf(params.months, params.meterId, 'readings');
    if (files.length === 0) return [];
    const conn = await duck(this.tempDir);
    const reader = await conn.runAndReadAll(
      `select epoch_ms(interval_start)::DOUBLE as interval_start, kwh::VARCHAR as kwh, quality, estimation_method,
              flags, source, version, epoch_ms(received_at)::DOUBLE as received_at,
              epoch_ms(revised_at)::DOUBLE as revised_at, epoch_ms(first_received_at)::DOUBLE as first_received_at
       from read_parquet(${fileList(files)})
       where meter_id = $1 and interval_start >= $2::TIMESTAMPTZ and interval_start < $3::TIMESTAMPTZ
       order by interval_start`,
      [params.meterId, params.from.toISOString(), params.to.toISOString()],
    );
    return reader.getRowObjectsJS().map((row) => ({
      intervalStart: toDate(row.interval_start) as Date,
      kwh: text(row.kwh),
      quality: row.quality as ReadingQuality,
      estimationMethod: textOrNull(row.estimation_method),
      flags: (row.flags as string[] | null) ?? [],
      source: text(row.source),
      version: Number(row.version),
      receivedAt: toDate(row.received_at) as Date,
      revisedAt: toDate(row.revised_at),
      firstReceivedAt: toDate(row.first_received_at) as Date,
    }));
  }

  /** The meter's archived revisions in [from, to), newest first as the portal lists them. */
  async revisions(params: {
    months: readonly string[];
    meterId: string;
    from: Date;
    to: Date;
    intervalStart?: Date;
    limit: number;
  }): Promise<ArchivedRevision[]> {
    const files = await this.filesOf(params.months, params.meterId, 'revisions');
    if (files.length === 0) return [];
    const conn = await duck(this.tempDir);
    const at = params.intervalStart?.toISOString() ?? null;
    const reader = await conn.runAndReadAll(
      `select id::DOUBLE as id, epoch_ms(interval_start)::DOUBLE as interval_start, old_kwh::VARCHAR as old_kwh,
              new_kwh::VARCHAR as new_kwh, old_quality, new_quality, old_version, new_version, source, reason,
              actor, epoch_ms(created_at)::DOUBLE as created_at
       from read_parquet(${fileList(files)})
       where meter_id = $1 and interval_start >= $2::TIMESTAMPTZ and interval_start < $3::TIMESTAMPTZ
         and ($4::VARCHAR is null or interval_start = $4::TIMESTAMPTZ)
       order by created_at desc, id desc
       limit ${Math.max(0, Math.floor(params.limit))}`,
      [params.meterId, params.from.toISOString(), params.to.toISOString(), at],
    );
    return reader.getRowObjectsJS().map((row) => ({
      id: Number(row.id),
      intervalStart: toDate(row.interval_start) as Date,
      oldKwh: textOrNull(row.old_kwh),
      newKwh: text(row.new_kwh),
      oldQuality: (row.old_quality as ReadingQuality | null) ?? null,
      newQuality: row.new_quality as ReadingQuality,
      oldVersion: row.old_version === null ? null : Number(row.old_version),
      newVersion: Number(row.new_version),
      source: row.source as ArchivedRevision['source'],
      reason: text(row.reason),
      actor: text(row.actor),
      createdAt: toDate(row.created_at) as Date,
    }));
  }

  /**
   * The meter's kWh and interval counts per UTC month over archived months, from the raw readings: what
   * the year view's months were built from, answered from the archive.
   */
  async monthlyUsage(params: {
    months: readonly string[];
    meterId: string;
  }): Promise<{ month: string; kwh: string; readings: number; estimated: number; edited: number }[]> {
    const files = await this.filesOf(params.months, params.meterId, 'readings');
    if (files.length === 0) return [];
    const first = params.months[0] as string;
    const last = params.months.at(-1) as string;
    const conn = await duck(this.tempDir);
    const reader = await conn.runAndReadAll(
      `select strftime(interval_start, '%Y-%m') as month, sum(kwh)::VARCHAR as kwh, count(*)::DOUBLE as readings,
              count(*) filter (where quality = 'estimated')::DOUBLE as estimated,
              count(*) filter (where quality = 'edited')::DOUBLE as edited
       from read_parquet(${fileList(files)})
       where meter_id = $1 and interval_start >= $2::TIMESTAMPTZ and interval_start < $3::TIMESTAMPTZ
       group by 1 order by 1`,
      [params.meterId, monthBounds(first).start.toISOString(), monthBounds(last).end.toISOString()],
    );
    return reader.getRowObjectsJS().map((row) => ({
      month: text(row.month),
      kwh: text(row.kwh),
      readings: Number(row.readings),
      estimated: Number(row.estimated),
      edited: Number(row.edited),
    }));
  }
}
