/**
 * API keys and the readings delivered with them. The one writer of api_keys and api_reading_submissions;
 * every key action is recorded in the staff audit in the same transaction.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { desc, eq, isNull, and } from 'drizzle-orm';
import { apiKeyPrefix, type ApiScope } from '@meterops/domain/api-keys';
import type { Db, Sql } from '../client';
import { apiKeys, apiReadingSubmissions, customers } from '../schema/index';
import { recordStaffAction, type StaffActor } from './audit';

/** A refusal of the key input, with the field it concerns (shown next to it in the portal). */
export class ApiKeyError extends Error {
  override name = 'ApiKeyError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  customerId: string | null;
  rateLimitPerMinute: number;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  lastUsedAt: Date | null;
}

const rowColumns = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  customerId: apiKeys.customerId,
  rateLimitPerMinute: apiKeys.rateLimitPerMinute,
  createdAt: apiKeys.createdAt,
  createdBy: apiKeys.createdBy,
  expiresAt: apiKeys.expiresAt,
  revokedAt: apiKeys.revokedAt,
  revokedBy: apiKeys.revokedBy,
  lastUsedAt: apiKeys.lastUsedAt,
};

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export async function createApiKey(
  db: Db,
  params: {
    name: string;
    scopes: ApiScope[];
    customerId: string | null;
    expiresAt: Date | null;
    rateLimitPerMinute: number;
    actor: StaffActor;
  },
): Promise<{ key: ApiKeyRow; secret: string }> {
  const prefix = randomBytes(6).toString('hex');
  const secret = `mo_${prefix}_${randomBytes(32).toString('base64url')}`;
  return db.transaction(async (tx) => {
    if (params.customerId !== null) {
      const [customer] = await tx
        .select({ id: customers.id })
        .from(customers)
        .where(eq(customers.id, params.customerId));
      if (customer === undefined)
        throw new ApiKeyError('customerId', `There is no customer ${params.customerId}`);
    }
    const [key] = await tx
      .insert(apiKeys)
      .values({
        name: params.name,
        prefix,
        secretHash: sha256(secret),
        scopes: params.scopes,
        customerId: params.customerId,
        rateLimitPerMinute: params.rateLimitPerMinute,
        createdBy: params.actor.label,
        createdById: params.actor.userId,
        expiresAt: params.expiresAt,
      })
      .returning(rowColumns);
    if (key === undefined) throw new Error('insert into api_keys returned no row');
    await recordStaffAction(tx, {
      actor: params.actor,
      action: 'api_key.created',
      targetType: 'api_key',
      targetId: key.id,
      details: {
        name: key.name,
        prefix: key.prefix,
        scopes: key.scopes,
        customerId: key.customerId,
        expiresAt: key.expiresAt?.toISOString() ?? null,
        rateLimitPerMinute: key.rateLimitPerMinute,
      },
    });
    return { key: key as ApiKeyRow, secret };
  });
}

/** Every key, newest first (revoked ones too: they explain past requests). */
export async function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return (await db.select(rowColumns).from(apiKeys).orderBy(desc(apiKeys.createdAt))) as ApiKeyRow[];
}

/** Null when there is no such key; a key revoked before stays as it was (and is not audited again). */
export async function revokeApiKey(
  db: Db,
  params: { id: string; actor: StaffActor; at?: Date },
): Promise<ApiKeyRow | null> {
  return db.transaction(async (tx) => {
    const [revoked] = await tx
      .update(apiKeys)
      .set({ revokedAt: params.at ?? new Date(), revokedBy: params.actor.label })
      .where(and(eq(apiKeys.id, params.id), isNull(apiKeys.revokedAt)))
      .returning(rowColumns);
    if (revoked === undefined) {
      const [current] = await tx.select(rowColumns).from(apiKeys).where(eq(apiKeys.id, params.id));
      return (current as ApiKeyRow | undefined) ?? null;
    }
    await recordStaffAction(tx, {
      actor: params.actor,
      action: 'api_key.revoked',
      targetType: 'api_key',
      targetId: revoked.id,
      details: { name: revoked.name, prefix: revoked.prefix },
    });
    return revoked as ApiKeyRow;
  });
}

export type ApiKeyCheck =
  | { kind: 'valid'; key: ApiKeyRow }
  | { kind: 'unknown' }
  | { kind: 'expired'; key: ApiKeyRow }
  | { kind: 'revoked'; key: ApiKeyRow };

/**
 * Checks a presented key: found by its prefix, proved by the SHA-256 of the whole key (compared in
 * constant time). A malformed key, an unknown prefix and a wrong secret are all just `unknown`.
 */
export async function checkApiKey(sql: Sql, params: { key: string; now: Date }): Promise<ApiKeyCheck> {
  const prefix = apiKeyPrefix(params.key);
  if (prefix === null) return { kind: 'unknown' };
  const [row] = await sql<(ApiKeyRow & { secretHash: Buffer })[]>`
    select id, name, prefix, scopes, customer_id as "customerId", rate_limit_per_minute as "rateLimitPerMinute",
           created_at as "createdAt", created_by as "createdBy", expires_at as "expiresAt", revoked_at as "revokedAt",
           revoked_by as "revokedBy", last_used_at as "lastUsedAt", secret_hash as "secretHash"
    from api_keys where prefix = ${prefix}`;
  if (row === undefined) return { kind: 'unknown' };
  const { secretHash, ...key } = row;
  if (!timingSafeEqual(secretHash, sha256(params.key))) return { kind: 'unknown' };
  if (key.revokedAt !== null && key.revokedAt <= params.now) return { kind: 'revoked', key };
  if (key.expiresAt !== null && key.expiresAt <= params.now) return { kind: 'expired', key };
  return { kind: 'valid', key };
}

/** Stamps the key's last use unless it was stamped within the last minute (callers also skip most calls). */
export async function recordApiKeyUse(sql: Sql, params: { id: string; at: Date }): Promise<void> {
  await sql`
    update api_keys set last_used_at = ${params.at}
    where id = ${params.id} and (last_used_at is null or last_used_at < ${params.at}::timestamptz - interval '1 minute')`;
}

// ---------------------------------------------------------------------------------------------------
// Readings delivered over HTTP

export async function recordReadingSubmission(
  db: Db,
  params: {
    apiKeyId: string;
    meterId: string;
    intervalStarts: Date[];
    topic: string;
    partition: number;
    kafkaOffset: number;
  },
): Promise<{ id: string; submittedAt: Date }> {
  const [row] = await db
    .insert(apiReadingSubmissions)
    .values(params)
    .returning({ id: apiReadingSubmissions.id, submittedAt: apiReadingSubmissions.submittedAt });
  if (row === undefined) throw new Error('insert into api_reading_submissions returned no row');
  return row;
}

export type SubmissionItemOutcome =
  | { index: number; intervalStart: Date; outcome: 'pending' | 'stored' }
  | { index: number; intervalStart: Date; outcome: 'rejected'; rule: string; detail: string };

export interface SubmissionOutcome {
  id: string;
  meterId: string;
  submittedAt: Date;
  topic: string;
  partition: number;
  offset: number;
  /** pending until the worker has applied the message's Kafka offset; then every item is stored or rejected. */
  status: 'pending' | 'processed';
  items: SubmissionItemOutcome[];
}

/**
 * The outcome of a submission of this key, or null (another key's submissions are not found). The
 * worker writes a message's rejects and advances its partition's ingest offset in one transaction, so
 * once the offset is past the message, every item without a reject was stored (or was an exact
 * duplicate of a stored reading).
 */
export async function readingSubmissionOutcome(
  sql: Sql,
  params: { id: string; apiKeyId: string },
): Promise<SubmissionOutcome | null> {
  const [submission] = await sql<
    {
      id: string;
      meterId: string;
      submittedAt: Date;
      intervalStarts: Date[];
      topic: string;
      partition: number;
      offset: string;
      applied: boolean;
    }[]
  >`
    select s.id, s.meter_id as "meterId", s.submitted_at as "submittedAt", s.interval_starts as "intervalStarts",
           s.topic, s.partition, s.kafka_offset::text as offset,
           coalesce((select max(o.next_offset) > s.kafka_offset from ingest_offsets o
                     where o.topic = s.topic and o.partition = s.partition), false) as applied
    from api_reading_submissions s
    where s.id = ${params.id} and s.api_key_id = ${params.apiKeyId}`;
  if (submission === undefined) return null;
  const rejects = await sql<{ itemIndex: number; rule: string; detail: string }[]>`
    select item_index as "itemIndex", rule, detail from rejected_readings
    where topic = ${submission.topic} and partition = ${submission.partition}
      and kafka_offset = ${submission.offset}::bigint`;
  const whole = rejects.find((reject) => reject.itemIndex === -1);
  const byIndex = new Map(rejects.map((reject) => [reject.itemIndex, reject]));
  const items = submission.intervalStarts.map((intervalStart, index): SubmissionItemOutcome => {
    const reject = whole ?? byIndex.get(index);
    if (reject !== undefined)
      return { index, intervalStart, outcome: 'rejected', rule: reject.rule, detail: reject.detail };
    return { index, intervalStart, outcome: submission.applied ? 'stored' : 'pending' };
  });
  return {
    id: submission.id,
    meterId: submission.meterId,
    submittedAt: submission.submittedAt,
    topic: submission.topic,
    partition: submission.partition,
    offset: Number(submission.offset),
    status: submission.applied || whole !== undefined ? 'processed' : 'pending',
    items,
  };
}
