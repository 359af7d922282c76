/**
 * Where archived months live: a folder on the local disk (the default, no setup) or a bucket on any
 * S3-compatible store through the AWS SDK. Both hold the same keys (`readings/month=YYYY-MM/...`); the
 * archive reads files through a local path, so an S3 month is first downloaded into a cache folder and
 * checked against the manifest's sha256 there.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

export interface ArchiveStore {
  /** Shown in logs and stored as the manifest location's scheme: `file:///…` or `s3://bucket/…`. */
  readonly description: string;
  /** Full location of a key, for archived_months.manifest_location. */
  locate(key: string): string;
  putFile(key: string, localPath: string): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  /** Null when the key does not exist. */
  getText(key: string): Promise<string | null>;
  /**
   * A local path holding the key's bytes: the file itself for a folder store, a downloaded copy in the
   * cache for S3 (`fresh` downloads again: verification must see what the store holds, not an old copy).
   * Throws MissingObjectError when the key does not exist.
   */
  localPath(key: string, options?: { fresh?: boolean }): Promise<string>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix. */
  list(prefix: string): Promise<string[]>;
}

export class MissingObjectError extends Error {
  override name = 'MissingObjectError';
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** The default store: a folder (under $METEROPS_STATE_DIR/archive unless configured). */
export class FolderStore implements ArchiveStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.root = path.resolve(root);
    this.description = `folder ${this.root}`;
  }

  locate(key: string): string {
    return `file://${this.pathOf(key)}`;
  }

  private pathOf(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(`${this.root}${path.sep}`)) throw new RangeError(`key outside the archive: ${key}`);
    return full;
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Copy then rename, so a reader never sees half a file under the final name.
    const partial = `${target}.partial`;
    await fs.copyFile(localPath, partial);
    await fs.rename(partial, target);
  }

  async putText(key: string, text: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.writeFile(`${target}.partial`, text);
    await fs.rename(`${target}.partial`, target);
  }

  async getText(key: string): Promise<string | null> {
    try {
      return await fs.readFile(this.pathOf(key), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async localPath(key: string): Promise<string> {
    const file = this.pathOf(key);
    if (!(await this.exists(key))) throw new MissingObjectError(`${this.locate(key)} does not exist`);
    return file;
  }

  async exists(key: string): Promise<boolean> {
    return fs.access(this.pathOf(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.pathOf(prefix.replace(/\/$/, '') || '.');
    const entries = await fs.readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.partial'))
      .map((entry) =>
        path.relative(this.root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
      )
      .sort();
  }
}

export interface S3StoreOptions {
  endpoint?: string;
  bucket: string;
  region: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Key prefix inside the bucket. */
  prefix?: string;
  /** Folder for downloaded copies; files are re-downloaded when the cached copy's size differs. */
  cacheDir: string;
}

/** Any S3-compatible bucket (AWS, MinIO, s3proxy), path-style addressing. */
export class S3Store implements ArchiveStore {
  readonly description: string;
  private readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3StoreOptions) {
    this.prefix = options.prefix ? `${options.prefix.replace(/\/+$/, '')}/` : '';
    this.description = `s3://${options.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: true,
      // The SDK's default trailing CRC32 on every upload (aws-chunked) is AWS-only; S3-compatible stores
      // (s3proxy, older MinIO, Ceph) reject it. Integrity is our manifest's sha256 either way.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials:
        options.accessKeyId !== undefined && options.secretAccessKey !== undefined
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
    });
  }

  locate(key: string): string {
    return `s3://${this.options.bucket}/${this.prefix}${key}`;
  }

  async putFile(key: string, localPath: string): Promise<void> {
    const { size } = await fs.stat(localPath);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.options.bucket,
        Key: this.prefix + key,
        Body: createReadStream(localPath),
        ContentLength: size,
      }),
    );
  }

  async putText(key: string, text: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key, Body: text }),
    );
  }

  async getText(key: string): Promise<string | null> {
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
      );
      return (await answer.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof NoSuchKey || error instanceof NotFound) return null;
      throw error;
    }
  }

  async localPath(key: string, options: { fresh?: boolean } = {}): Promise<string> {
    const target = path.join(this.options.cacheDir, ...key.split('/'));
    let remoteSize: number | undefined;
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
      );
      remoteSize = head.ContentLength;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey)
        throw new MissingObjectError(`${this.locate(key)} does not exist`);
      throw error;
    }
    const cached = await fs.stat(target).catch(() => null);
    if (options.fresh !== true && cached !== null && cached.size === remoteSize) return target;
    await fs.mkdir(path.dirname(target), { recursive: true });
    const answer = await this.client.send(
      new GetObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }),
    );
    if (answer.Body === undefined) throw new MissingObjectError(`${this.locate(key)} has no body`);
    const partial = `${target}.partial`;
    await pipeline(answer.Body as Readable, createWriteStream(partial));
    await fs.rename(partial, target);
    return target;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.prefix + key }));
    await fs.rm(path.join(this.options.cacheDir, ...key.split('/')), { force: true });
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.options.bucket,
          Prefix: this.prefix + prefix,
          ContinuationToken: token,
        }),
      );
      for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key.slice(this.prefix.length));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  /** Creates the bucket when it does not exist (development stores; a real bucket is provisioned). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch {
      await this.client.send(new CreateBucketCommand({ Bucket: this.options.bucket }));
    }
  }

  close(): void {
    this.client.destroy();
  }
}
