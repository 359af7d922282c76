/**
 * Archiving a month of readings: Postgres → Parquet files + manifest on the store → read back and
 * checked → partition detached and dropped; and back again (restore), and dropped again.
 *
 * Invariants:
 * - Nothing leaves Postgres before the files on the store have been read back, their sha256 and totals
 *   match the manifest, and Postgres (locked against writes to the month) matches the manifest too.
 *   The check, the revision delete and the DETACH/DROP are one transaction: any failure leaves the month.
 * - A month is never held in memory: Postgres streams it once (COPY … TO STDOUT), Node routes each CSV
 *   record to the file of its meter range, and DuckDB sorts and writes one bounded file at a time.
 * - A restore is one transaction that rebuilds the partition, re-inserts the revisions with their ids
 *   and matches the result against the manifest before it commits.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '@meterops/db/client';
import { duck, fileList, literal, text, textOrNull } from './duck';
import {
  compareWithManifest,
  formatKwh,
  monthTotals,
  normalizeTotals,
  parseKwh,
  type ManifestFile,
  type MeterTotals,
  type MonthManifest,
  type RevisionTotals,
} from './manifest';
import { monthBounds, monthOfPartition, partitionName } from './months';
import { MissingObjectError, sha256File, type ArchiveStore } from './storage';

export interface ArchiveProgress {
  month: string;
  step: 'export' | 'write' | 'verify' | 'drop' | 'restore';
  done: number;
  total: number;
  message?: string;
}

export interface ArchiveDeps {
  sql: Sql;
  store: ArchiveStore;
  /** Scratch folder for the CSV and Parquet files of a run. */
  workDir: string;
  onProgress?: (progress: ArchiveProgress) => void;
  /** Readings per Parquet file (default ROWS_PER_FILE); tests set it low to get several files. */
  rowsPerFile?: number;
}

/** Thrown when the files or Postgres do not match the manifest; the month stays in Postgres. */
export class ArchiveVerificationError extends Error {
  override name = 'ArchiveVerificationError';
  constructor(
    readonly month: string,
    readonly problems: string[],
  ) {
    super(`${month} does not match its archive: ${problems.join('; ')}`);
  }
}

export const manifestKey = (month: string) => `readings/month=${month}/manifest.json`;
const readingsKey = (month: string, part: number) =>
  `readings/month=${month}/readings-${String(part).padStart(3, '0')}.parquet`;
const revisionsKey = (month: string) => `readings/month=${month}/revisions.parquet`;

/** Readings per Parquet file: DuckDB sorts one file's rows at a time within its memory limit. */
const ROWS_PER_FILE = 1_500_000;
/** ~20 meters of a month per row group: a one-meter read decodes little beyond its own rows. */
const ROW_GROUP_SIZE = 61_440;
/** Buffered CSV bytes per file before they are written out. */
const FLUSH_BYTES = 1 << 20;

const READING_COLUMNS = `meter_id, interval_start, kwh, quality, estimation_method, flags, source, version,
  received_at, revised_at, first_received_at`;
const REVISION_COLUMNS = `id, meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version,
  new_version, source, reason, actor, created_at`;

/** Types DuckDB reads Postgres's CSV with; the Parquet schema follows from them. */
const READING_CSV_TYPES = `{'meter_id': 'VARCHAR', 'interval_start': 'TIMESTAMPTZ', 'kwh': 'DECIMAL(14,4)',
  'quality': 'VARCHAR', 'estimation_method': 'VARCHAR', 'flags': 'VARCHAR', 'source': 'VARCHAR',
  'version': 'INTEGER', 'received_at': 'TIMESTAMPTZ', 'revised_at': 'TIMESTAMPTZ',
  'first_received_at': 'TIMESTAMPTZ'}`;
const REVISION_CSV_TYPES = `{'id': 'BIGINT', 'meter_id': 'VARCHAR', 'interval_start': 'TIMESTAMPTZ',
  'old_kwh': 'DECIMAL(14,4)', 'new_kwh': 'DECIMAL(14,4)', 'old_quality': 'VARCHAR', 'new_quality': 'VARCHAR',
  'old_version': 'INTEGER', 'new_version': 'INTEGER', 'source': 'VARCHAR', 'reason': 'VARCHAR',
  'actor': 'VARCHAR', 'created_at': 'TIMESTAMPTZ'}`;
// Postgres writes NULL as an empty field and '' as "", which DuckDB must not read as NULL.
const CSV_OPTIONS = `header = false, delim = ',', quote = '"', escape = '"', nullstr = '',
  allow_quoted_nulls = false, auto_detect = false`;

export interface MonthState {
  month: string;
  /** The partition exists in Postgres. */
  inPostgres: boolean;
  /** Estimated rows of the partition (pg_class), or the archived row count. */
  rows: number;
  archivedAt: Date | null;
  verifiedAt: Date | null;
  droppedAt: Date | null;
  restoredAt: Date | null;
  manifestLocation: string | null;
}

/** Every month that has a partition or an archive, oldest first. */
export async function monthStates(sql: Sql): Promise<MonthState[]> {
  const partitions = await sql<{ name: string; rows: number }[]>`
    select c.relname as name, greatest(c.reltuples, 0)::float8 as rows
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'readings'::regclass`;
  const archived = await sql<
    {
      month: string;
      rowCount: number;
      archivedAt: Date;
      verifiedAt: Date | null;
      droppedAt: Date | null;
      restoredAt: Date | null;
      manifestLocation: string;
    }[]
  >`
    select to_char(month, 'YYYY-MM') as month, row_count::float8 as "rowCount", archived_at as "archivedAt",
           verified_at as "verifiedAt", dropped_at as "droppedAt", restored_at as "restoredAt",
           manifest_location as "manifestLocation"
    from archived_months`;
  const states = new Map<string, MonthState>();
  for (const partition of partitions) {
    const month = monthOfPartition(partition.name);
    if (month === null) continue;
    states.set(month, {
      month,
      inPostgres: true,
      rows: Math.round(partition.rows),
      archivedAt: null,
      verifiedAt: null,
      droppedAt: null,
      restoredAt: null,
      manifestLocation: null,
    });
  }
  for (const row of archived) {
    const state = states.get(row.month);
    states.set(row.month, {
      month: row.month,
      inPostgres: state?.inPostgres ?? false,
      rows: state?.inPostgres === true ? state.rows : row.rowCount,
      archivedAt: row.archivedAt,
      verifiedAt: row.verifiedAt,
      droppedAt: row.droppedAt,
      restoredAt: row.restoredAt,
      manifestLocation: row.manifestLocation,
    });
  }
  return [...states.values()].sort((a, b) => a.month.localeCompare(b.month));
}

async function partitionExists(sql: Sql, month: string): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`
    select exists (
      select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'readings'::regclass and c.relname = ${partitionName(month)}
    ) as exists`;
  return row?.exists === true;
}

/** Thrown when another process is archiving, dropping or restoring the same month. */
export class MonthBusyError extends Error {
  override name = 'MonthBusyError';
}

/**
 * One archive operation per month at a time, across processes (the scheduled job and a CLI run): a
 * session advisory lock held on a connection of its own for the whole operation.
 */
async function withMonthLock<T>(sql: Sql, month: string, fn: () => Promise<T>): Promise<T> {
  const connection = await sql.reserve();
  try {
    const [lock] = await connection<{ locked: boolean }[]>`
      select pg_try_advisory_lock(hashtext(${`meterops.archive:${month}`})) as locked`;
    if (lock?.locked !== true)
      throw new MonthBusyError(`${month} is being archived or restored by another process`);
    try {
      return await fn();
    } finally {
      await connection`select pg_advisory_unlock(hashtext(${`meterops.archive:${month}`}))`;
    }
  } finally {
    connection.release();
  }
}

async function withWorkDir<T>(workDir: string, month: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await fs.mkdir(workDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(workDir, `${month}-`));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The meter id (first CSV field) of a record. */
function firstField(record: Buffer): string {
  if (record[0] !== 0x22) {
    const comma = record.indexOf(0x2c);
    return record.toString('utf8', 0, comma);
  }
  let field = '';
  let from = 1;
  for (;;) {
    const quote = record.indexOf(0x22, from);
    field += record.toString('utf8', from, quote);
    if (record[quote + 1] !== 0x22) return field;
    field += '"';
    from = quote + 2;
  }
}

/**
 * Cuts a meter-ordered CSV stream into files of about ROWS_PER_FILE readings, never splitting a meter,
 * and hands each finished file on while the stream goes on. Buffers are bounded; a slow disk pauses
 * the stream.
 */
class MeterOrderedFiles {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stream: WriteStream | null = null;
  private file = '';
  private rows = 0;
  /** Set once the current file is full: the first record of another meter starts the next file. */
  private lastMeter: string | null = null;
  private index = 0;

  constructor(
    private readonly dir: string,
    private readonly rowsPerFile: number,
    private readonly onFile: (file: { path: string; index: number; rows: number }) => void,
  ) {}

  add(record: Buffer): Promise<void> | undefined {
    let cut: Promise<void> | undefined;
    if (this.stream !== null && this.rows >= this.rowsPerFile) {
      const meter = firstField(record);
      if (this.lastMeter === null) this.lastMeter = meter;
      else if (meter !== this.lastMeter) cut = this.finish();
    }
    if (cut !== undefined) return cut.then(() => this.add(record));
    if (this.stream === null) {
      this.file = path.join(this.dir, `readings-${this.index}.csv`);
      this.stream = createWriteStream(this.file);
      this.rows = 0;
      this.lastMeter = null;
    }
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.rows += 1;
    return this.pendingBytes >= FLUSH_BYTES ? this.flush() : undefined;
  }

  private async flush(): Promise<void> {
    const stream = this.stream as WriteStream;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    if (!stream.write(chunk)) await once(stream, 'drain');
  }

  /** Closes the current file (if any) and hands it on. */
  async finish(): Promise<void> {
    if (this.stream === null) return;
    await this.flush();
    this.stream.end();
    await once(this.stream, 'finish');
    this.stream = null;
    this.onFile({ path: this.file, index: this.index, rows: this.rows });
    this.index += 1;
  }
}

/**
 * postgres.js 3.4.9 pauses the connection's socket whenever a COPY TO stream's buffer is full and
 * resumes it only from the stream's `_read`, which Node stops calling once the stream has ended. When
 * the pause falls on the last rows, the server's CommandComplete and ReadyForQuery are never read and
 * the next statement on the connection waits forever. Resuming once more after the end is harmless.
 */
function resumeAfterCopy(stream: Readable): void {
  stream._read(0);
}

/** Whether the database orders text by bytes, as Parquet statistics and DuckDB do. */
async function ordersByBytes(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ collation: string }[]>`
    select datcollate as collation from pg_database where datname = current_database()`;
  return ['C', 'POSIX', 'C.UTF-8', 'C.utf8'].includes(row?.collation ?? '');
}

/**
 * Splits a CSV byte stream into records. A record ends at a newline outside quotes: a field holding a
 * newline is quoted, so an odd count of quote characters so far means the record goes on.
 */
async function forEachCsvRecord(
  source: AsyncIterable<Buffer>,
  onRecord: (record: Buffer) => Promise<void> | undefined,
): Promise<void> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let recordStart = 0;
    let position = 0;
    let quotes = 0;
    for (;;) {
      const newline = buffer.indexOf(0x0a, position);
      if (newline === -1) break;
      for (let quote = buffer.indexOf(0x22, position); quote !== -1 && quote < newline;) {
        quotes += 1;
        quote = buffer.indexOf(0x22, quote + 1);
      }
      position = newline + 1;
      if (quotes % 2 === 0) {
        // Awaiting only real back-pressure: an await per record costs more than the routing itself.
        const paused = onRecord(buffer.subarray(recordStart, position));
        if (paused !== undefined) await paused;
        recordStart = position;
        quotes = 0;
      }
    }
    carry = buffer.subarray(recordStart);
  }
  if (carry.length > 0) await onRecord(carry);
}

interface WrittenPart {
  file: ManifestFile;
  meters: MeterTotals[];
}

async function meterTotalsOf(files: readonly string[], tempDir: string): Promise<MeterTotals[]> {
  // A month without readings has no readings file; DuckDB refuses an empty file list.
  if (files.length === 0) return [];
  const conn = await duck(tempDir);
  const reader = await conn.runAndReadAll(`
    select meter_id, count(*)::DOUBLE as rows, sum(kwh)::VARCHAR as kwh, sum(version)::DOUBLE as version_sum
    from read_parquet(${fileList(files)}) group by meter_id`);
  return reader.getRowObjectsJS().map((row) => ({
    meterId: text(row.meter_id),
    rows: Number(row.rows),
    kwh: text(row.kwh),
    versionSum: Number(row.version_sum),
  }));
}

async function revisionTotalsOf(file: string, tempDir: string): Promise<RevisionTotals> {
  const conn = await duck(tempDir);
  const reader = await conn.runAndReadAll(
    `select count(*)::DOUBLE as rows, coalesce(sum(id), 0)::VARCHAR as id_sum from read_parquet(${literal(file)})`,
  );
  const [row] = reader.getRowObjectsJS();
  return { rows: Number(row?.rows ?? 0), idSum: text(row?.id_sum ?? '0') };
}

async function describeFile(
  key: string,
  kind: ManifestFile['kind'],
  localPath: string,
  tempDir: string,
): Promise<ManifestFile> {
  const conn = await duck(tempDir);
  const reader = await conn.runAndReadAll(
    kind === 'readings'
      ? `select count(*)::DOUBLE as rows, min(meter_id) as first, max(meter_id) as last from read_parquet(${literal(localPath)})`
      : `select count(*)::DOUBLE as rows, null as first, null as last from read_parquet(${literal(localPath)})`,
  );
  const [row] = reader.getRowObjectsJS();
  const { size } = await fs.stat(localPath);
  return {
    key,
    kind,
    rows: Number(row?.rows ?? 0),
    bytes: size,
    sha256: await sha256File(localPath),
    firstMeter: textOrNull(row?.first),
    lastMeter: textOrNull(row?.last),
  };
}

/**
 * Writes the month's readings and revisions to Parquet on the store with its manifest, and records the
 * month in archived_months (not yet verified, nothing dropped). Returns the manifest.
 */
export async function writeMonth(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  return withMonthLock(deps.sql, month, () => write(deps, month));
}

async function write(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  const { sql, store } = deps;
  if (!(await partitionExists(sql, month))) throw new RangeError(`${month} has no partition in Postgres`);
  const { start, end } = monthBounds(month);
  const partition = partitionName(month);
  const progress = (step: ArchiveProgress['step'], done: number, total: number, message?: string) =>
    deps.onProgress?.({ month, step, done, total, message });

  return withWorkDir(deps.workDir, month, async (dir) => {
    // Postgres streams the month in key order (its primary key index: in memory this is as fast as a
    // sequential scan), so each file is finished while the next is still streaming, and DuckDB writes
    // it meanwhile. Sorting again is needed only when the database collation is not byte order.
    const sortAgain = !(await ordersByBytes(sql));
    const conn = await duck(deps.workDir);
    const parts: WrittenPart[] = [];
    let writing: Promise<void> = Promise.resolve();
    let writeError: unknown = null;
    const writePart = async (csv: { path: string; index: number; rows: number }) => {
      const parquet = path.join(dir, `readings-${csv.index}.parquet`);
      await conn.run(`
        copy (
          select meter_id, interval_start, kwh, quality, estimation_method,
                 case when flags = '[]' then []::VARCHAR[] else cast(flags as JSON)::VARCHAR[] end as flags,
                 source, version, received_at, revised_at, first_received_at
          from read_csv(${literal(csv.path)}, columns = ${READING_CSV_TYPES}, ${CSV_OPTIONS})
          ${sortAgain ? 'order by meter_id, interval_start' : ''}
        ) to ${literal(parquet)} (format parquet, compression zstd, row_group_size ${ROW_GROUP_SIZE})`);
      await fs.rm(csv.path);
      const key = readingsKey(month, csv.index);
      const file = await describeFile(key, 'readings', parquet, deps.workDir);
      const meters = await meterTotalsOf([parquet], deps.workDir);
      await store.putFile(key, parquet);
      await fs.rm(parquet);
      parts.push({ file, meters });
      progress('write', parts.length, 0, `${key}: ${file.rows} readings, ${file.bytes} bytes`);
    };
    const files = new MeterOrderedFiles(dir, deps.rowsPerFile ?? ROWS_PER_FILE, (csv) => {
      writing = writing
        .then(() => (writeError === null ? writePart(csv) : undefined))
        .catch((error: unknown) => {
          writeError ??= error;
        });
    });
    const revisionsCsv = path.join(dir, 'revisions.csv');
    let exported = 0;

    // One snapshot for readings and revisions, so the manifest describes one consistent state.
    await sql.begin('isolation level repeatable read read only', async (tx) => {
      await tx`set local timezone = 'UTC'`;
      const readings = await tx
        .unsafe(
          `copy (select meter_id, interval_start, kwh, quality, estimation_method, array_to_json(flags), source,
                        version, received_at, revised_at, first_received_at
                 from ${partition} order by meter_id, interval_start) to stdout (format csv)`,
        )
        .readable();
      await forEachCsvRecord(readings, (record) => {
        exported += 1;
        if (exported % 1_000_000 === 0) progress('export', exported, 0, `${exported} readings exported`);
        return files.add(record);
      });
      resumeAfterCopy(readings);
      await files.finish();
      const revisions = await tx
        .unsafe(
          `copy (select ${REVISION_COLUMNS} from reading_revisions
                 where interval_start >= '${start.toISOString()}' and interval_start < '${end.toISOString()}')
           to stdout (format csv)`,
        )
        .readable();
      await pipeline(revisions, createWriteStream(revisionsCsv));
      resumeAfterCopy(revisions);
    });
    progress('export', exported, exported, `${exported} readings exported`);
    await writing;
    if (writeError !== null) throw new Error(`writing ${month} to Parquet failed`, { cause: writeError });
    parts.sort((a, b) => a.file.key.localeCompare(b.file.key));

    const revisionsParquet = path.join(dir, 'revisions.parquet');
    await conn.run(`
      copy (
        select * from read_csv(${literal(revisionsCsv)}, columns = ${REVISION_CSV_TYPES}, ${CSV_OPTIONS})
        order by meter_id, interval_start, id
      ) to ${literal(revisionsParquet)} (format parquet, compression zstd)`);
    const revisionFile = await describeFile(revisionsKey(month), 'revisions', revisionsParquet, deps.workDir);
    const revisions = await revisionTotalsOf(revisionsParquet, deps.workDir);
    await store.putFile(revisionFile.key, revisionsParquet);

    const meters = normalizeTotals(parts.flatMap((part) => part.meters));
    const manifest: MonthManifest = {
      format: 1,
      month,
      createdAt: new Date().toISOString(),
      readings: monthTotals(meters),
      revisions,
      files: [...parts.map((part) => part.file), revisionFile],
      meters,
    };
    if (manifest.readings.rows !== exported) {
      throw new ArchiveVerificationError(month, [
        `the files hold ${manifest.readings.rows} readings, Postgres exported ${exported}`,
      ]);
    }
    // The manifest goes last: a month without one was never completely written.
    await store.putText(manifestKey(month), JSON.stringify(manifest));
    await sql`
      insert into archived_months (month, row_count, kwh_sum, revision_count, manifest_location, archived_at)
      values (${`${month}-01`}, ${manifest.readings.rows}, ${manifest.readings.kwh}, ${revisions.rows},
              ${store.locate(manifestKey(month))}, now())
      on conflict (month) do update set
        row_count = excluded.row_count, kwh_sum = excluded.kwh_sum, revision_count = excluded.revision_count,
        manifest_location = excluded.manifest_location, archived_at = excluded.archived_at,
        verified_at = null, dropped_at = null`;
    return manifest;
  });
}

/** The month's manifest from the store; null when there is none. */
export async function readManifest(store: ArchiveStore, month: string): Promise<MonthManifest | null> {
  const text = await store.getText(manifestKey(month));
  return text === null ? null : (JSON.parse(text) as MonthManifest);
}

/**
 * Reads every file of the month back from the store and matches it against the manifest: presence,
 * size, sha256, rows per file, and the per-meter totals and revisions recomputed from the Parquet.
 * Returns the manifest and the problems found (none: the archive is complete and intact).
 */
export async function verifyFiles(
  deps: Pick<ArchiveDeps, 'store' | 'workDir' | 'onProgress'>,
  month: string,
): Promise<{ manifest: MonthManifest | null; problems: string[] }> {
  const manifest = await readManifest(deps.store, month);
  if (manifest === null)
    return { manifest, problems: [`no manifest at ${deps.store.locate(manifestKey(month))}`] };
  const problems: string[] = [];
  const readingFiles: string[] = [];
  let revisionFile: string | null = null;
  for (const [index, file] of manifest.files.entries()) {
    let local: string;
    try {
      local = await deps.store.localPath(file.key, { fresh: true });
    } catch (error) {
      if (error instanceof MissingObjectError) {
        problems.push(`${file.key} is missing`);
        continue;
      }
      throw error;
    }
    const { size } = await fs.stat(local);
    const sha256 = await sha256File(local);
    if (size !== file.bytes || sha256 !== file.sha256) {
      problems.push(
        `${file.key}: ${size} bytes sha256 ${sha256}, manifest ${file.bytes} bytes sha256 ${file.sha256}`,
      );
      continue;
    }
    if (file.kind === 'readings') readingFiles.push(local);
    else revisionFile = local;
    deps.onProgress?.({
      month,
      step: 'verify',
      done: index + 1,
      total: manifest.files.length,
      message: file.key,
    });
  }
  if (problems.length > 0) return { manifest, problems };
  const meters = await meterTotalsOf(readingFiles, deps.workDir);
  const revisions =
    revisionFile === null ? { rows: 0, idSum: '0' } : await revisionTotalsOf(revisionFile, deps.workDir);
  problems.push(...compareWithManifest(manifest, { meters, revisions }, 'archive files'));
  const totals = monthTotals(normalizeTotals(manifest.meters));
  if (totals.rows !== manifest.readings.rows || totals.kwh !== formatKwh(parseKwh(manifest.readings.kwh)))
    problems.push('manifest: month totals do not add up from its meters');
  return { manifest, problems };
}

type Queryable = Pick<Sql, 'unsafe'> & Sql;

/** Per-meter totals and revisions of the month as Postgres holds them now. */
async function postgresTotals(
  tx: Queryable,
  month: string,
): Promise<{ meters: MeterTotals[]; revisions: RevisionTotals }> {
  const { start, end } = monthBounds(month);
  const meters = await tx.unsafe<{ meterId: string; rows: number; kwh: string; versionSum: number }[]>(
    `select meter_id as "meterId", count(*)::float8 as rows, sum(kwh)::text as kwh,
            sum(version)::float8 as "versionSum"
     from ${partitionName(month)} group by meter_id`,
  );
  const [revisions] = await tx<{ rows: number; idSum: string }[]>`
    select count(*)::float8 as rows, coalesce(sum(id), 0)::text as "idSum"
    from reading_revisions where interval_start >= ${start} and interval_start < ${end}`;
  return { meters: [...meters], revisions: revisions ?? { rows: 0, idSum: '0' } };
}

/**
 * Drops a written month from Postgres: verifies the files, then in one transaction locks the partition
 * against writes, matches Postgres against the manifest, marks the month dropped, deletes its revisions
 * (the trigger allows it only now) and detaches and drops the partition.
 */
export async function dropMonth(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  return withMonthLock(deps.sql, month, () => drop(deps, month));
}

async function drop(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  const { sql } = deps;
  if (!(await partitionExists(sql, month))) throw new RangeError(`${month} has no partition in Postgres`);
  const { manifest, problems } = await verifyFiles(deps, month);
  if (manifest === null || problems.length > 0) throw new ArchiveVerificationError(month, problems);
  const { start, end } = monthBounds(month);
  const partition = partitionName(month);
  deps.onProgress?.({
    month,
    step: 'drop',
    done: 0,
    total: 1,
    message: 'matching Postgres with the manifest',
  });
  await sql.begin(async (tx) => {
    await tx`set local lock_timeout = '30s'`;
    await tx.unsafe(`lock table ${partition} in share mode`);
    const current = await postgresTotals(tx as unknown as Queryable, month);
    const differences = compareWithManifest(manifest, current, 'postgres');
    if (differences.length > 0) throw new ArchiveVerificationError(month, differences);
    const [marked] = await tx`
      update archived_months set verified_at = now(), dropped_at = now()
      where month = ${`${month}-01`} and row_count = ${manifest.readings.rows}
      returning month`;
    if (marked === undefined)
      throw new ArchiveVerificationError(month, ['archived_months does not record this manifest']);
    await tx`delete from reading_revisions where interval_start >= ${start} and interval_start < ${end}`;
    await tx.unsafe(`alter table readings detach partition ${partition}`);
    await tx.unsafe(`drop table ${partition}`);
  });
  deps.onProgress?.({ month, step: 'drop', done: 1, total: 1, message: `${partition} dropped` });
  return manifest;
}

/** Archives a month end to end: write, verify, drop. */
export async function archiveMonth(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  return withMonthLock(deps.sql, month, async () => {
    await write(deps, month);
    return drop(deps, month);
  });
}

/** The archived month's rows as Postgres COPY text, converted by DuckDB from Parquet. */
const RESTORE_READINGS_SELECT = `
  select meter_id, interval_start, kwh, quality, estimation_method,
         '{' || array_to_string(list_transform(flags, f -> '"' || replace(replace(f, '\\', '\\\\'), '"', '\\"') || '"'), ',') || '}',
         source, version, received_at, revised_at, first_received_at`;

async function copyIntoPostgres(
  tx: Queryable,
  table: string,
  columns: string,
  csvFile: string,
): Promise<void> {
  const writable = await tx.unsafe(`copy ${table} (${columns}) from stdin (format csv)`).writable();
  await pipeline(createReadStream(csvFile), writable);
}

/**
 * Brings an archived month back into Postgres exactly: same rows, versions and revision ids. The files
 * are verified first; the partition is built beside the table, indexed and attached, and the whole
 * restore is checked against the manifest before it commits. The archive stays, so the month can be
 * dropped again (after a new verification).
 */
export async function restoreMonth(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  return withMonthLock(deps.sql, month, () => restore(deps, month));
}

async function restore(deps: ArchiveDeps, month: string): Promise<MonthManifest> {
  const { sql } = deps;
  const [row] = await sql<{ droppedAt: Date | null }[]>`
    select dropped_at as "droppedAt" from archived_months where month = ${`${month}-01`}`;
  if (row === undefined) throw new RangeError(`${month} was never archived`);
  if (row.droppedAt === null) throw new RangeError(`${month} is in Postgres already`);
  if (await partitionExists(sql, month)) {
    throw new RangeError(
      `${month} has a partition again (late data arrived after the drop); archive or remove it before restoring`,
    );
  }
  const { manifest, problems } = await verifyFiles(deps, month);
  if (manifest === null || problems.length > 0) throw new ArchiveVerificationError(month, problems);
  const { start, end } = monthBounds(month);
  const partition = partitionName(month);
  const conn = await duck(deps.workDir);

  await withWorkDir(deps.workDir, month, async (dir) => {
    await sql.begin(async (tx) => {
      await tx`set local timezone = 'UTC'`;
      await tx.unsafe(`create table ${partition} (like readings including defaults)`);
      const readingFiles = manifest.files.filter((file) => file.kind === 'readings');
      for (const [index, file] of readingFiles.entries()) {
        const csv = path.join(dir, `restore-${index}.csv`);
        const local = await deps.store.localPath(file.key);
        await conn.run(
          `copy (${RESTORE_READINGS_SELECT} from read_parquet(${literal(local)})) to ${literal(csv)} (format csv, header false)`,
        );
        await copyIntoPostgres(tx as unknown as Queryable, partition, READING_COLUMNS, csv);
        await fs.rm(csv);
        deps.onProgress?.({
          month,
          step: 'restore',
          done: index + 1,
          total: readingFiles.length + 1,
          message: file.key,
        });
      }
      // A CHECK matching the bounds lets ATTACH skip scanning the rows it just loaded.
      await tx.unsafe(
        `alter table ${partition} add constraint ${partition}_pkey primary key (meter_id, interval_start),
           add constraint ${partition}_bounds check (interval_start >= '${start.toISOString()}' and interval_start < '${end.toISOString()}')`,
      );
      await tx.unsafe(
        `alter table readings attach partition ${partition} for values from ('${start.toISOString()}') to ('${end.toISOString()}')`,
      );
      await tx.unsafe(`alter table ${partition} drop constraint ${partition}_bounds`);

      const revisionFile = manifest.files.find((file) => file.kind === 'revisions');
      if (revisionFile !== undefined) {
        const csv = path.join(dir, 'revisions.csv');
        const local = await deps.store.localPath(revisionFile.key);
        await conn.run(
          `copy (select ${REVISION_COLUMNS} from read_parquet(${literal(local)})) to ${literal(csv)} (format csv, header false)`,
        );
        await copyIntoPostgres(tx as unknown as Queryable, 'reading_revisions', REVISION_COLUMNS, csv);
      }

      const restored = await postgresTotals(tx as unknown as Queryable, month);
      const differences = compareWithManifest(manifest, restored, 'restored');
      if (differences.length > 0) throw new ArchiveVerificationError(month, differences);
      await tx`
        update archived_months set dropped_at = null, restored_at = now() where month = ${`${month}-01`}`;
    });
  });
  const steps = manifest.files.length;
  deps.onProgress?.({ month, step: 'restore', done: steps, total: steps, message: `${partition} restored` });
  return manifest;
}
