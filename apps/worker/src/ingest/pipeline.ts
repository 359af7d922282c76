import type { Db, Sql } from '@meterops/db/client';
import {
  ensureReadingPartitions,
  readIngestPosition,
  storedReadings,
  writeIngestBatch,
  type IngestWriteResult,
  type StoreReading,
  type StoreRejection,
  type StoredRejection,
} from '@meterops/db/queries/ingest';
import { activeReplayWindows, type ReplayWindow } from '@meterops/db/queries/replay';
import { droppedMonths } from '@meterops/archive/reader';
import { decodeReadingMessage } from '@meterops/domain/contract';
import { loadBatchSettings } from '@meterops/db/queries/vee';
import { localDay } from '@meterops/domain/time';
import { defaultVeeParams, validateMessage, type VeeParams } from '@meterops/domain/vee';
import type { KafkaBatch, KafkaMessage, OutgoingMessage } from '../kafka';
import { BaselineCache } from './baselines';
import { isInfrastructureError } from './errors';
import { FleetCache } from './fleet';

export interface BatchOutcome extends IngestWriteResult {
  records: number;
  /** Messages skipped because an earlier delivery already applied them (offset below the stored one). */
  redelivered: number;
  readings: number;
  /** Rejections of this batch by rule, including ones already stored by an earlier delivery. */
  rejectedByRule: Map<string, number>;
  /** Soft flags raised in this batch by rule. */
  flaggedByRule: Map<string, number>;
  dbMs: number;
  /** Now minus the end of the newest interval in the batch: how far behind real time the data is. */
  intervalEndLagMs: number | null;
  /** Now minus the Kafka timestamp of the batch's last message. */
  kafkaLagMs: number | null;
  /** What to send to the dead-letter topic after the transaction committed, with the rejection ids. */
  deadLetters: { id: number; message: OutgoingMessage }[];
}

/**
 * The partition's stored position is behind the batch Kafka delivered: a replay moved it back (or the
 * group's Kafka offsets were moved forward by hand). The consumer must seek to `offset` and read from there.
 */
export class RewindRequired extends Error {
  override name = 'RewindRequired';
  constructor(
    readonly partition: number,
    readonly offset: bigint,
  ) {
    super(
      `partition ${partition}: stored position ${offset} is behind the delivered batch; seeking back to it`,
    );
  }
}

/** Longest error text kept with a processing_error rejection. */
const MAX_DETAIL_LENGTH = 2_000;

const monthMs = (epochMs: number) => {
  const date = new Date(epochMs);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
};

/**
 * Decode → validate → store for one partition's batch. Hard failures become rejections (stored with
 * their Kafka position, then dead-lettered), soft ones are stored with flags; nothing throws for bad
 * input. Only infrastructure failures (Postgres down) throw, so the batch is fetched again.
 */
export class IngestPipeline {
  private readonly fleet: FleetCache;
  private readonly baselines: BaselineCache;
  private readonly knownMonths = new Set<number>();
  private settings: { params: VeeParams; loadedAt: number } | null = null;
  private replays: { windows: ReplayWindow[]; loadedAt: number } | null = null;
  private archived: { months: ReadonlySet<string>; loadedAt: number } | null = null;

  constructor(
    private readonly db: Db,
    private readonly sql: Sql,
    private readonly options: {
      actor: string;
      consumerGroup: string;
      /** Fixed rule parameters; without them the pipeline follows vee_settings (defaults overridden). */
      veeParams?: VeeParams;
      /** How long loaded vee_settings (and the archived months) are used before they are read again. */
      settingsMaxAgeMs?: number;
      /** Told when vee_settings cannot be used; the parameters in force so far stay. */
      onSettingsError?: (error: unknown) => void;
      now?: () => number;
      /**
       * Collect what the batch stored for the validated-readings topic (`validated`), including what a
       * redelivered part of the batch stored before, whose copy may not have gone out.
       */
      collectValidated?: boolean;
    },
  ) {
    this.fleet = new FleetCache(db);
    // Four weeks of history, refreshed every six hours: the rules compare with typical use, not the last hour.
    this.baselines = new BaselineCache(sql, {
      historyDays: 28,
      maxAgeMs: 6 * 3_600_000,
      maxAgeWithoutHistoryMs: 15 * 60_000,
    });
  }

  async start(): Promise<void> {
    await this.fleet.refreshIfStale();
    await this.veeParams(Date.now());
    await this.archivedMonths(Date.now());
  }

  /**
   * The months archived and dropped from Postgres, reloaded like the settings. A month that newly
   * appears is forgotten as a known partition, so nothing assumes its partition still exists.
   */
  private async archivedMonths(now: number): Promise<ReadonlySet<string>> {
    const maxAgeMs = this.options.settingsMaxAgeMs ?? 60_000;
    if (this.archived && now - this.archived.loadedAt < maxAgeMs) return this.archived.months;
    const months = new Set(await droppedMonths(this.sql));
    for (const month of months) this.knownMonths.delete(Date.parse(`${month}-01T00:00:00Z`));
    this.archived = { months, loadedAt: now };
    return months;
  }

  /**
   * The rule parameters in force: the ones given, else vee_settings as the batch layer reads them,
   * reloaded once a minute, so an administrator's change reaches ingest and the nightly batch alike.
   */
  private async veeParams(now: number): Promise<VeeParams> {
    if (this.options.veeParams) return this.options.veeParams;
    const maxAgeMs = this.options.settingsMaxAgeMs ?? 60_000;
    if (this.settings && now - this.settings.loadedAt < maxAgeMs) return this.settings.params;
    try {
      this.settings = { params: await loadBatchSettings(this.sql), loadedAt: now };
    } catch (error) {
      // A stored value that fails validation must not stop ingest: keep what was in force, retry later.
      this.options.onSettingsError?.(error);
      this.settings = { params: this.settings?.params ?? defaultVeeParams, loadedAt: now };
    }
    return this.settings.params;
  }

  get fleetSize(): number {
    return this.fleet.size;
  }

  /**
   * Processes a batch so that no single message can stop the partition: a message that fails anywhere
   * in decoding, validation or storing is quarantined as `processing_error` with its error text, and the
   * rest go on. Data errors from Postgres are narrowed down by halving the batch until the one message
   * is found. Only infrastructure failures (Postgres unreachable, a rebalance) are thrown, for a retry.
   */
  async processIsolated(batch: KafkaBatch, options: { acceptGap?: boolean } = {}): Promise<BatchOutcome> {
    try {
      return await this.process(batch, options);
    } catch (error) {
      if (isInfrastructureError(error) || error instanceof RewindRequired) throw error;
      const [only] = batch.messages;
      if (batch.messages.length === 1 && only) return this.quarantine(batch, only, error);
      const middle = Math.ceil(batch.messages.length / 2);
      const first = await this.processIsolated(
        { ...batch, messages: batch.messages.slice(0, middle) },
        options,
      );
      const second = await this.processIsolated({ ...batch, messages: batch.messages.slice(middle) });
      return mergeOutcomes(first, second);
    }
  }

  /** Stores one message as a processing_error rejection and moves the partition past it. */
  private async quarantine(batch: KafkaBatch, message: KafkaMessage, error: unknown): Promise<BatchOutcome> {
    const position = {
      consumerGroup: this.options.consumerGroup,
      topic: batch.topic,
      partition: batch.partition,
    };
    const storedNext = await readIngestPosition(this.sql, position);
    const offset = BigInt(message.offset);
    const rejections =
      storedNext !== null && offset < storedNext ? [] : [processingError(batch, message, error)];
    const started = performance.now();
    const written = await writeIngestBatch(this.sql, {
      readings: [],
      rejections,
      fleet: { dimensionDays: [], regionHalfHours: [] },
      actor: this.options.actor,
      position: {
        ...position,
        expectedNextOffset: storedNext,
        nextOffset: storedNext !== null && storedNext > offset + 1n ? storedNext : offset + 1n,
      },
    });
    return {
      ...written,
      records: 1,
      redelivered: rejections.length === 0 ? 1 : 0,
      readings: 0,
      rejectedByRule: new Map(rejections.length === 0 ? [] : [['processing_error', 1]]),
      flaggedByRule: new Map(),
      dbMs: performance.now() - started,
      intervalEndLagMs: null,
      kafkaLagMs: (this.options.now?.() ?? Date.now()) - Number(message.timestamp),
      deadLetters: written.storedRejections.map(deadLetter),
    };
  }

  /** Forgets the replay windows read so far, so the next batch reads them again (a replay just started). */
  refreshReplays(): void {
    this.replays = null;
  }

  private async replayWindows(now: number): Promise<ReplayWindow[]> {
    if (this.replays && now - this.replays.loadedAt < 5_000) return this.replays.windows;
    const windows = await activeReplayWindows(this.sql, {
      consumerGroup: this.options.consumerGroup,
    });
    this.replays = { windows, loadedAt: now };
    return windows;
  }

  async process(batch: KafkaBatch, options: { acceptGap?: boolean } = {}): Promise<BatchOutcome> {
    const now = this.options.now?.() ?? Date.now();
    await this.fleet.refreshIfStale(now);
    const params = await this.veeParams(now);
    const archivedMonths = await this.archivedMonths(now);
    const rejections: StoreRejection[] = [];
    const readings: StoreReading[] = [];
    const flaggedByRule = new Map<string, number>();
    const days = new Set<string>();
    let newestIntervalEnd = -Infinity;
    let readingCount = 0;

    const position = {
      consumerGroup: this.options.consumerGroup,
      topic: batch.topic,
      partition: batch.partition,
    };
    const storedNext = await readIngestPosition(this.sql, position);
    const firstMessage = batch.messages[0];
    if (
      storedNext !== null &&
      firstMessage &&
      BigInt(firstMessage.offset) > storedNext &&
      !options.acceptGap
    ) {
      this.refreshReplays();
      throw new RewindRequired(batch.partition, storedNext);
    }
    const replay = await this.replayFor(batch, now);
    if (replay?.split) {
      // The window ends inside this batch: count the part inside it, then go on with the rest.
      const inside = await this.process(
        { ...batch, messages: batch.messages.slice(0, replay.split) },
        options,
      );
      const after = await this.process({ ...batch, messages: batch.messages.slice(replay.split) });
      return mergeOutcomes(inside, after);
    }
    const fresh =
      storedNext === null
        ? batch.messages
        : batch.messages.filter((message) => BigInt(message.offset) >= storedNext);
    const lastMessage = batch.messages.at(-1);
    const nextOffset = lastMessage ? BigInt(lastMessage.offset) + 1n : (storedNext ?? 0n);

    const decoded: { message: KafkaMessage; result: ReturnType<typeof decodeReadingMessage> }[] = [];
    for (const message of fresh) {
      try {
        decoded.push({ message, result: decodeReadingMessage(message.value, message.key) });
      } catch (error) {
        rejections.push(processingError(batch, message, error));
      }
    }
    const meterIds = decoded.flatMap(({ result }) => (result.ok ? [result.message.meterId] : []));
    await this.fleet.resolveUnknown(meterIds);
    // Only meters of the fleet: ids a producer makes up must not grow the cache (or cost a query).
    await this.baselines.prepare(
      meterIds.filter((id) => this.fleet.get(id) !== undefined),
      now,
    );

    for (const { message, result } of decoded) {
      if (!result.ok) {
        rejections.push(
          rejection(batch, message, -1, {
            rule: result.rule,
            detail: result.detail,
            payloadBytes: message.value,
          }),
        );
        continue;
      }
      // A failure part-way through a message takes back what it added: the arrays are cut back to
      // where they stood (cheaper on the hot path than staging every reading apart).
      const mark = { rejections: rejections.length, readings: readings.length };
      const flags: string[] = [];
      let messageNewestEnd = -Infinity;
      try {
        const meter = this.fleet.get(result.message.meterId);
        const validation = validateMessage(result.message, {
          nowMs: now,
          params,
          meter,
          baseline: this.baselines.get(result.message.meterId),
          archivedMonths,
        });
        const rawItems = validation.rejected.length > 0 ? rawReadingItems(message) : [];
        for (const rejected of validation.rejected) {
          const itemText = readingText(result.message.meterId, rawItems[rejected.itemIndex]);
          rejections.push(
            rejection(batch, message, rejected.itemIndex, {
              payload: itemText ?? undefined,
              // An item that cannot be shown as text (nested thousands deep) keeps the whole message's bytes.
              payloadBytes: itemText === null ? message.value : null,
              rule: rejected.rule,
              detail: rejected.detail,
              meterId: result.message.meterId,
              intervalStart:
                rejected.intervalStartMs === undefined ? null : new Date(rejected.intervalStartMs),
            }),
          );
        }
        for (const accepted of validation.accepted) {
          readings.push({
            meterId: accepted.meterId,
            intervalStart: new Date(accepted.intervalStartMs),
            kwh: accepted.kwh,
            flags: accepted.flags,
          });
          if (accepted.flags.length > 0) flags.push(...accepted.flags);
          if (meter) {
            // A day added by a message that then fails only costs an unused expectation.
            days.add(localDay(accepted.intervalStartMs, meter.timeZone));
            messageNewestEnd = Math.max(
              messageNewestEnd,
              accepted.intervalStartMs + meter.intervalMinutes * 60_000,
            );
          }
        }
      } catch (error) {
        rejections.length = mark.rejections;
        readings.length = mark.readings;
        rejections.push(processingError(batch, message, error));
        continue;
      }
      readingCount += result.message.itemCount;
      for (const flag of flags) flaggedByRule.set(flag, (flaggedByRule.get(flag) ?? 0) + 1);
      newestIntervalEnd = Math.max(newestIntervalEnd, messageNewestEnd);
    }

    await this.ensurePartitions(readings);
    const started = performance.now();
    const written = await writeIngestBatch(this.sql, {
      readings,
      rejections,
      fleet: this.fleet.expectationsFor(days),
      actor: this.options.actor,
      // A batch wholly below the stored position changes nothing, not even the position.
      position: {
        ...position,
        expectedNextOffset: storedNext,
        nextOffset: storedNext !== null && storedNext > nextOffset ? storedNext : nextOffset,
      },
      replay: replay ? { id: replay.id, records: fresh.length } : undefined,
      collectValidated: this.options.collectValidated,
    });
    const dbMs = performance.now() - started;
    if (this.options.collectValidated === true && fresh.length < batch.messages.length) {
      written.validated.push(
        ...(await this.storedAgain(batch.messages.slice(0, batch.messages.length - fresh.length))),
      );
    }

    const rejectedByRule = new Map<string, number>();
    for (const entry of rejections) rejectedByRule.set(entry.rule, (rejectedByRule.get(entry.rule) ?? 0) + 1);
    return {
      ...written,
      records: batch.messages.length,
      redelivered: batch.messages.length - fresh.length,
      readings: readingCount,
      rejectedByRule,
      flaggedByRule,
      dbMs,
      intervalEndLagMs: Number.isFinite(newestIntervalEnd) ? now - newestIntervalEnd : null,
      kafkaLagMs: lastMessage ? now - Number(lastMessage.timestamp) : null,
      deadLetters: written.storedRejections.map(deadLetter),
    };
  }

  /**
   * The running replay whose window holds this batch's first message, and where the window ends inside
   * the batch (index of the first message past it), if it does.
   */
  private async replayFor(
    batch: KafkaBatch,
    now: number,
  ): Promise<{ id: number; split: number | null } | null> {
    const windows = await this.replayWindows(now);
    if (windows.length === 0) return null;
    const first = batch.messages[0];
    if (!first) return null;
    const firstOffset = BigInt(first.offset);
    const window = windows.find(
      (entry) =>
        entry.topic === batch.topic &&
        entry.partition === batch.partition &&
        firstOffset >= entry.fromOffset &&
        firstOffset < entry.toOffset,
    );
    if (!window) return null;
    const splitAt = batch.messages.findIndex((message) => BigInt(message.offset) >= window.toOffset);
    return { id: window.replayId, split: splitAt > 0 ? splitAt : null };
  }

  /**
   * Messages below the stored position come again only when the offsets committed to Kafka lag behind
   * Postgres: a crash or rebalance after the transaction, possibly before their validated copies went
   * out. Their readings are sent again as stored now (at least once).
   */
  private async storedAgain(messages: readonly KafkaMessage[]) {
    const keys: { meterId: string; intervalStart: Date }[] = [];
    for (const message of messages) {
      try {
        const decoded = decodeReadingMessage(message.value, message.key);
        if (!decoded.ok) continue;
        for (const reading of decoded.message.readings) {
          keys.push({ meterId: decoded.message.meterId, intervalStart: new Date(reading.intervalStartMs) });
        }
      } catch {
        // Quarantined when it first came; nothing of it was stored.
      }
    }
    return storedReadings(this.sql, keys);
  }

  private async ensurePartitions(readings: readonly StoreReading[]): Promise<void> {
    const missing = new Set<number>();
    for (const reading of readings) {
      const month = monthMs(reading.intervalStart.getTime());
      if (!this.knownMonths.has(month)) missing.add(month);
    }
    if (missing.size === 0) return;
    await ensureReadingPartitions(
      this.sql,
      [...missing].map((month) => new Date(month)),
    );
    for (const month of missing) this.knownMonths.add(month);
  }
}

/** Text Postgres accepts: NUL, which a text column refuses, becomes U+FFFD (the bytes keep the original). */
function pgText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

function rejection(
  batch: KafkaBatch,
  message: KafkaMessage,
  itemIndex: number,
  reason: {
    rule: string;
    detail: string;
    meterId?: string;
    intervalStart?: Date | null;
    payload?: string;
    payloadBytes?: Buffer | null;
  },
): StoreRejection {
  const timestamp = Number(message.timestamp);
  const kafkaTimestamp = new Date(timestamp);
  return {
    topic: batch.topic,
    partition: batch.partition,
    kafkaOffset: message.offset,
    itemIndex,
    messageKey: message.key === null ? null : pgText(message.key.toString('utf8')),
    meterId: reason.meterId === undefined ? null : pgText(reason.meterId),
    intervalStart: reason.intervalStart ?? null,
    rule: reason.rule,
    detail: pgText(reason.detail),
    // Invalid UTF-8 is kept visible as replacement characters; payloadBytes holds the exact bytes.
    payload: pgText(reason.payload ?? message.value?.toString('utf8') ?? ''),
    payloadBytes: reason.payloadBytes ?? null,
    kafkaTimestamp:
      Number.isFinite(timestamp) && !Number.isNaN(kafkaTimestamp.getTime()) ? kafkaTimestamp : null,
  };
}

/** The rejection of a message whose handling failed in a way no rule foresaw: kept with the error. */
function processingError(batch: KafkaBatch, message: KafkaMessage, error: unknown): StoreRejection {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = 'unprintable error';
  }
  return rejection(batch, message, -1, {
    rule: 'processing_error',
    detail: text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text,
    payloadBytes: message.value,
  });
}

/** `{"meterId","reading"}` as text, or null when the item cannot be written out (too deeply nested). */
function readingText(meterId: string, item: unknown): string | null {
  try {
    return JSON.stringify({ meterId, reading: item ?? null });
  } catch {
    return null;
  }
}

function mergeOutcomes(a: BatchOutcome, b: BatchOutcome): BatchOutcome {
  const sumMaps = (x: Map<string, number>, y: Map<string, number>) => {
    const merged = new Map(x);
    for (const [key, count] of y) merged.set(key, (merged.get(key) ?? 0) + count);
    return merged;
  };
  const maxLag = (x: number | null, y: number | null) => (x === null ? y : y === null ? x : Math.min(x, y));
  return {
    inserted: a.inserted + b.inserted,
    revised: a.revised + b.revised,
    duplicates: a.duplicates + b.duplicates,
    rejected: a.rejected + b.rejected,
    storedRejections: [...a.storedRejections, ...b.storedRejections],
    reprocessKeys: a.reprocessKeys + b.reprocessKeys,
    records: a.records + b.records,
    redelivered: a.redelivered + b.redelivered,
    readings: a.readings + b.readings,
    rejectedByRule: sumMaps(a.rejectedByRule, b.rejectedByRule),
    flaggedByRule: sumMaps(a.flaggedByRule, b.flaggedByRule),
    dbMs: a.dbMs + b.dbMs,
    intervalEndLagMs: maxLag(a.intervalEndLagMs, b.intervalEndLagMs),
    kafkaLagMs: b.kafkaLagMs ?? a.kafkaLagMs,
    deadLetters: [...a.deadLetters, ...b.deadLetters],
    validated: [...a.validated, ...b.validated],
  };
}

/**
 * The items of a message that decoded as an envelope, as sent. Only called when an item was rejected,
 * so that its rejection stores that item rather than a copy of the whole message per bad reading.
 */
function rawReadingItems(message: KafkaMessage): unknown[] {
  try {
    const parsed = JSON.parse(message.value?.toString('utf8') ?? '') as { readings?: unknown };
    return Array.isArray(parsed.readings) ? parsed.readings : [];
  } catch {
    return [];
  }
}

/** The dead-letter copy of a stored rejection: the exact bytes where they were kept, with its reason. */
export function deadLetter(entry: StoredRejection): { id: number; message: OutgoingMessage } {
  return {
    id: entry.id,
    message: {
      key: entry.messageKey,
      value: entry.payloadBytes ?? entry.payload,
      headers: {
        'rejection-id': String(entry.id),
        rule: entry.rule,
        detail: entry.detail,
        'source-topic': entry.topic,
        'source-partition': String(entry.partition),
        'source-offset': entry.kafkaOffset,
        'item-index': String(entry.itemIndex),
      },
    },
  };
}
