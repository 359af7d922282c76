import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveMonth,
  ArchiveVerificationError,
  dropMonth,
  manifestKey,
  readManifest,
  restoreMonth,
  writeMonth,
  type ArchiveDeps,
} from '../src/archive';
import { monthBounds } from '../src/months';
import { purgeBefore } from '../src/lifecycle';
import { ArchiveReader, archivedMonthsBetween } from '../src/reader';
import { FolderStore, S3Store, type ArchiveStore } from '../src/storage';
import { ensureS3proxyUp, stopS3proxy } from '../../../scripts/lib/s3proxy';
import { createTestDatabase, scratchDir, seedMonth, snapshotMonth, type TestDatabase } from './harness';

const stateDir = process.env.METEROPS_STATE_DIR ?? '.stack';

let database: TestDatabase;
let root: string;
let deps: ArchiveDeps;
let stopAfter = false;

async function openStore(kind: 'folder' | 's3'): Promise<ArchiveStore> {
  if (kind === 'folder') return new FolderStore(path.join(root, 'store'));
  // The stack's s3proxy; started here (and stopped after) when the stack is not running it.
  const server = await ensureS3proxyUp({ stateDir: path.resolve(stateDir), say: () => {} });
  stopAfter = server.started;
  const store = new S3Store({
    endpoint: server.endpoint,
    bucket: server.bucket,
    region: 'us-east-1',
    accessKeyId: server.accessKeyId,
    secretAccessKey: server.secretAccessKey,
    prefix: `it-${path.basename(root)}`,
    cacheDir: path.join(root, 'cache'),
  });
  await store.ensureBucket();
  return store;
}

/** Flips one byte in the middle of a stored object. */
async function corrupt(store: ArchiveStore, key: string): Promise<void> {
  const copy = path.join(root, 'corrupted');
  await fs.copyFile(await store.localPath(key, { fresh: true }), copy);
  const bytes = await fs.readFile(copy);
  const middle = Math.floor(bytes.length / 2);
  bytes.writeUInt8((bytes.readUInt8(middle) ^ 0xff) & 0xff, middle);
  await fs.writeFile(copy, bytes);
  await store.putFile(key, copy);
}

async function partitionExists(month: string): Promise<boolean> {
  const [row] = await database.sql<
    { name: string | null }[]
  >`select to_regclass(${`readings_${month.replace('-', '_')}`})::text as name`;
  return row?.name !== null && row?.name !== undefined;
}

describe.each(['folder', 's3'] as const)('archive on %s storage', (kind) => {
  beforeAll(async () => {
    database = await createTestDatabase();
    root = await scratchDir();
    // Small files, so a month spans several and a meter read must pick the right one.
    deps = {
      sql: database.sql,
      store: await openStore(kind),
      workDir: path.join(root, 'work'),
      rowsPerFile: 2000,
    };
  }, 120_000);

  afterAll(async () => {
    await database?.drop();
    if (root) await fs.rm(root, { recursive: true, force: true });
    if (stopAfter) await stopS3proxy({ stateDir: path.resolve(stateDir), say: () => {} });
  });

  it('archives, drops and restores a month with identical rows, versions and revisions', async () => {
    const month = '2020-03';
    await seedMonth(database.sql, month);
    const before = await snapshotMonth(database.sql, month);
    expect(before.readings.length).toBe(5 * 31 * 48);
    expect(before.revisions.length).toBeGreaterThan(0);

    const manifest = await archiveMonth(deps, month);
    expect(manifest.readings.rows).toBe(before.readings.length);
    // 1488 readings per meter, files of at least 2000 readings, never splitting a meter.
    const files = manifest.files.filter((file) => file.kind === 'readings');
    expect(files.map((file) => [file.rows, file.firstMeter, file.lastMeter])).toEqual([
      [2976, 'M-001', 'M-002'],
      [2976, 'M-003', 'M-004'],
      [1488, 'M-005', 'M-005'],
    ]);
    expect(await partitionExists(month)).toBe(false);
    expect(await snapshotMonth(database.sql, month)).toEqual({ readings: [], revisions: [] });
    // The revision of the month before is not part of the archive and stays.
    const [outside] = await database.sql<{ count: number }[]>`
      select count(*)::int as count from reading_revisions where interval_start < ${monthBounds(month).start}`;
    expect(outside?.count).toBe(1);

    await restoreMonth(deps, month);
    expect(await snapshotMonth(database.sql, month)).toEqual(before);

    // Dropped again after the restore, from a fresh verification.
    await dropMonth(deps, month);
    expect(await partitionExists(month)).toBe(false);
    await restoreMonth(deps, month);
    expect(await snapshotMonth(database.sql, month)).toEqual(before);
  });

  it('answers a meter read over an archived month with what Postgres gave before archiving', async () => {
    const month = '2020-05';
    await seedMonth(database.sql, month);
    const { start, end } = monthBounds(month);
    const fromPostgres = await database.sql<
      {
        intervalStart: Date;
        kwh: string;
        quality: string;
        flags: string[];
        version: number;
        source: string;
      }[]
    >`
      select interval_start as "intervalStart", kwh::text as kwh, quality, flags, version, source from readings
      where meter_id = 'M-002' and interval_start >= ${start} and interval_start < ${end} order by interval_start`;
    const [monthSum] = await database.sql<{ kwh: string; count: number }[]>`
      select sum(kwh)::text as kwh, count(*)::int as count from readings
      where meter_id = 'M-002' and interval_start >= ${start} and interval_start < ${end}`;

    await archiveMonth(deps, month);
    const months = await archivedMonthsBetween(database.sql, { from: start, to: end });
    expect(months).toContain(month);
    const reader = new ArchiveReader(deps.store, deps.workDir);
    const archived = await reader.readings({ months, meterId: 'M-002', from: start, to: end });
    expect(
      archived.map(({ intervalStart, kwh, quality, flags, version, source }) => ({
        intervalStart,
        kwh,
        quality,
        flags,
        version,
        source,
      })),
    ).toEqual(fromPostgres);
    const usage = await reader.monthlyUsage({ months: [month], meterId: 'M-002' });
    expect(usage).toEqual([
      expect.objectContaining({ month, kwh: monthSum?.kwh, readings: monthSum?.count }),
    ]);
  });

  it('refuses to drop when a file on the store is corrupted, and keeps the month in Postgres', async () => {
    const month = '2020-07';
    await seedMonth(database.sql, month);
    const before = await snapshotMonth(database.sql, month);
    const manifest = await writeMonth(deps, month);
    const file = manifest.files.find((entry) => entry.kind === 'readings');
    await corrupt(deps.store, file?.key ?? 'missing');

    await expect(dropMonth(deps, month)).rejects.toThrow(/sha256/);
    expect(await partitionExists(month)).toBe(true);
    expect(await snapshotMonth(database.sql, month)).toEqual(before);
  });

  it('refuses to drop when a file is missing, and keeps the month in Postgres', async () => {
    const month = '2020-08';
    await seedMonth(database.sql, month);
    const before = await snapshotMonth(database.sql, month);
    const manifest = await writeMonth(deps, month);
    const revisions = manifest.files.find((entry) => entry.kind === 'revisions');
    await deps.store.delete(revisions?.key ?? 'missing');

    await expect(dropMonth(deps, month)).rejects.toThrow(/is missing/);
    expect(await partitionExists(month)).toBe(true);
    expect(await snapshotMonth(database.sql, month)).toEqual(before);
  });

  it('refuses to drop when Postgres changed after the files were written', async () => {
    const month = '2020-09';
    await seedMonth(database.sql, month);
    await writeMonth(deps, month);
    await database.sql`update readings set kwh = kwh + 0.0001, version = version + 1
                       where meter_id = 'M-003' and interval_start = ${monthBounds(month).start}`;
    const error = await dropMonth(deps, month).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ArchiveVerificationError);
    expect((error as ArchiveVerificationError).problems.join('\n')).toMatch(/postgres: meter M-003 sums to/);
    expect(await partitionExists(month)).toBe(true);
  });

  it('refuses a second operation on a month another one holds', async () => {
    const month = '2020-06';
    await seedMonth(database.sql, month, 2);
    const [first, second] = await Promise.allSettled([archiveMonth(deps, month), archiveMonth(deps, month)]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [first, second].find((result) => result.status === 'rejected');
    expect(refused?.status === 'rejected' && String(refused.reason)).toMatch(
      /being archived or restored by another process/,
    );
    expect(await partitionExists(month)).toBe(false);
  });

  it('archives and restores a month without readings', async () => {
    const month = '2020-11';
    await database.sql`select ensure_readings_partition(${monthBounds(month).start})`;
    const manifest = await archiveMonth(deps, month);
    expect(manifest.readings).toEqual({ rows: 0, kwh: '0.0000', versionSum: 0 });
    expect(await partitionExists(month)).toBe(false);
    await restoreMonth(deps, month);
    expect(await partitionExists(month)).toBe(true);
  });

  it('deletes the files of archived months past the archive retention, and only those', async () => {
    const [old, kept] = ['2020-12', '2021-01'];
    for (const month of [old, kept]) {
      await seedMonth(database.sql, month, 2);
      await archiveMonth(deps, month);
    }
    expect(await purgeBefore(deps, kept)).toContain(old);
    expect(await deps.store.exists(manifestKey(old))).toBe(false);
    expect(await deps.store.list(`readings/month=${old}/`)).toEqual([]);
    expect(await deps.store.exists(manifestKey(kept))).toBe(true);
    // A purged month is no longer offered to readers; the kept one still is.
    const months = await archivedMonthsBetween(database.sql, {
      from: monthBounds(old).start,
      to: monthBounds(kept).end,
    });
    expect(months).toEqual([kept]);
    expect(await purgeBefore(deps, kept)).toEqual([]);
  });

  it('keeps reading_revisions append-only outside a verified drop', async () => {
    const month = '2020-10';
    await seedMonth(database.sql, month);
    await writeMonth(deps, month);
    // Written but not dropped: the archive's existence alone does not open the history to deletion.
    await expect(
      database.sql`delete from reading_revisions where interval_start >= ${monthBounds(month).start}`,
    ).rejects.toThrow(/append-only/);
    expect(await readManifest(deps.store, month)).not.toBeNull();
    expect(await deps.store.exists(manifestKey(month))).toBe(true);
  });
});
