import type { Db, Sql } from '@meterops/db/client';
import {
  ensureReadingPartitions,
  readIngestPosition,
  writeIngestBatch,
  type IngestWriteResult,
  type StoreReading,
  type StoreRejection,
} from '@meterops/db/queries/ingest';
import { decodeReadingMessage } from '@meterops/domain/contract';
import { loadBatchSettings } from '@meterops/db/queries/vee';
import { localDay } from '@meterops/domain/time';
import { defaultVeeParams, validateMessage, type VeeParams } from '@meterops/domain/vee';
import type { KafkaBatch, KafkaMessage, OutgoingMessage } from '../kafka';
import { BaselineCache } from './baselines';
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
  /** What to send to the dead-letter topic, after the transaction committed. */
  deadLetters: OutgoingMessage[];
}

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

  constructor(
    private readonly db: Db,
    private readonly sql: Sql,
    private readonly options: {
      actor: string;
      consumerGroup: string;
      /** Fixed rule parameters; without them the pipeline follows vee_settings (defaults overridden). */
      veeParams?: VeeParams;
      /** How long loaded vee_settings are used before they are read again. */
      settingsMaxAgeMs?: number;
      /** Told when vee_settings cannot be used; the parameters in force so far stay. */
      onSettingsError?: (error: unknown) => void;
      now?: () => number;
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

  async process(batch: KafkaBatch): Promise<BatchOutcome> {
    const now = this.options.now?.() ?? Date.now();
    await this.fleet.refreshIfStale(now);
    const params = await this.veeParams(now);
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
    const fresh =
      storedNext === null
        ? batch.messages
        : batch.messages.filter((message) => BigInt(message.offset) >= storedNext);
    const lastMessage = batch.messages.at(-1);
    const nextOffset = lastMessage ? BigInt(lastMessage.offset) + 1n : (storedNext ?? 0n);

    const decoded = fresh.map((message) => ({
      message,
      result: decodeReadingMessage(message.value, message.key?.toString('utf8') ?? null),
    }));
    const meterIds = decoded.flatMap(({ result }) => (result.ok ? [result.message.meterId] : []));
    await this.fleet.resolveUnknown(meterIds);
    await this.baselines.prepare(meterIds, now);

    for (const { message, result } of decoded) {
      if (!result.ok) {
        rejections.push(rejection(batch, message, -1, { rule: result.rule, detail: result.detail }));
        continue;
      }
      readingCount += result.message.itemCount;
      const meter = this.fleet.get(result.message.meterId);
      const validation = validateMessage(result.message, {
        nowMs: now,
        params,
        meter,
        baseline: this.baselines.get(result.message.meterId),
      });
      const rawItems = validation.rejected.length > 0 ? rawReadingItems(message) : [];
      for (const rejected of validation.rejected) {
        rejections.push(
          rejection(batch, message, rejected.itemIndex, {
            payload: JSON.stringify({
              meterId: result.message.meterId,
              reading: rawItems[rejected.itemIndex] ?? null,
            }),
            rule: rejected.rule,
            detail: rejected.detail,
            meterId: result.message.meterId,
            intervalStart: rejected.intervalStartMs === undefined ? null : new Date(rejected.intervalStartMs),
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
        for (const flag of accepted.flags) flaggedByRule.set(flag, (flaggedByRule.get(flag) ?? 0) + 1);
        if (meter) {
          days.add(localDay(accepted.intervalStartMs, meter.timeZone));
          newestIntervalEnd = Math.max(
            newestIntervalEnd,
            accepted.intervalStartMs + meter.intervalMinutes * 60_000,
          );
        }
      }
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
    });
    const dbMs = performance.now() - started;

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
      deadLetters: rejections.map(deadLetter),
    };
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

function rejection(
  batch: KafkaBatch,
  message: KafkaMessage,
  itemIndex: number,
  reason: { rule: string; detail: string; meterId?: string; intervalStart?: Date | null; payload?: string },
): StoreRejection {
  return {
    topic: batch.topic,
    partition: batch.partition,
    kafkaOffset: message.offset,
    itemIndex,
    messageKey: message.key?.toString('utf8') ?? null,
    meterId: reason.meterId ?? null,
    intervalStart: reason.intervalStart ?? null,
    rule: reason.rule,
    detail: reason.detail,
    // Invalid UTF-8 is kept visible as replacement characters rather than failing the insert.
    payload: reason.payload ?? message.value?.toString('utf8').replaceAll('\u0000', '\uFFFD') ?? '',
    kafkaTimestamp: Number.isFinite(Number(message.timestamp)) ? new Date(Number(message.timestamp)) : null,
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

function deadLetter(entry: StoreRejection): OutgoingMessage {
  return {
    key: entry.messageKey,
    value: entry.payload,
    headers: {
      rule: entry.rule,
      detail: entry.detail,
      'source-topic': entry.topic,
      'source-partition': String(entry.partition),
      'source-offset': entry.kafkaOffset,
      'item-index': String(entry.itemIndex),
    },
  };
}
