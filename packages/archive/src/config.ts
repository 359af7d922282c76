/**
 * The archive's settings as each app's env.ts reads them (the apps merge `archiveEnvShape` into their
 * own schema, so the environment is still read in one place per app), and the store they select.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FolderStore, S3Store, type ArchiveStore } from './storage';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);
const optionalText = z.preprocess(unsetIfEmpty, z.string().min(1).optional());

export const archiveEnvShape = {
  /** The stack's state folder; the archive folder and the S3 download cache live under it by default. */
  METEROPS_STATE_DIR: z.preprocess(unsetIfEmpty, z.string().default('.stack')),
  /** Folder of the default (local disk) store; `$METEROPS_STATE_DIR/archive` when unset. */
  ARCHIVE_DIR: optionalText,
  /** With a bucket, the archive goes to S3 (or any compatible store at ARCHIVE_S3_ENDPOINT). */
  ARCHIVE_S3_ENDPOINT: z.preprocess(unsetIfEmpty, z.url().optional()),
  ARCHIVE_S3_BUCKET: optionalText,
  ARCHIVE_S3_ACCESS_KEY_ID: optionalText,
  ARCHIVE_S3_SECRET_ACCESS_KEY: optionalText,
  ARCHIVE_S3_REGION: z.preprocess(unsetIfEmpty, z.string().min(1).default('us-east-1')),
  ARCHIVE_S3_PREFIX: optionalText,
};

export const archiveEnvSchema = z.object(archiveEnvShape);
export type ArchiveEnv = z.infer<typeof archiveEnvSchema>;

/** Folders the archive works in; relative state folders are taken from the repository root. */
export interface ArchivePaths {
  stateDir: string;
  /** Temporary CSV and Parquet files of a run (deleted after it). */
  workDir: string;
  /** Local copies of S3 objects read by queries. */
  cacheDir: string;
}

export function archivePaths(settings: Pick<ArchiveEnv, 'METEROPS_STATE_DIR'>): ArchivePaths {
  const stateDir = path.resolve(REPO_ROOT, settings.METEROPS_STATE_DIR);
  return {
    stateDir,
    workDir: path.join(stateDir, 'archive-work'),
    cacheDir: path.join(stateDir, 'archive-cache'),
  };
}

/** The store the settings name: S3 when a bucket is configured, the local folder otherwise. */
export function createStore(settings: ArchiveEnv): ArchiveStore {
  const paths = archivePaths(settings);
  if (settings.ARCHIVE_S3_BUCKET !== undefined) {
    return new S3Store({
      endpoint: settings.ARCHIVE_S3_ENDPOINT,
      bucket: settings.ARCHIVE_S3_BUCKET,
      region: settings.ARCHIVE_S3_REGION,
      accessKeyId: settings.ARCHIVE_S3_ACCESS_KEY_ID,
      secretAccessKey: settings.ARCHIVE_S3_SECRET_ACCESS_KEY,
      prefix: settings.ARCHIVE_S3_PREFIX,
      cacheDir: paths.cacheDir,
    });
  }
  return new FolderStore(settings.ARCHIVE_DIR ?? path.join(paths.stateDir, 'archive'));
}
