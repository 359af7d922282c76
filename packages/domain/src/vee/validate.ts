import type { DecodedReading, DecodedReadingMessage } from '../contract';
import { MINUTE_MS, formatInstant, isAlignedToInterval } from '../time';
import type { VeeParams } from './params';
import type { ReadingRejectionRule, SoftRuleName } from './rules';
import { evaluateSoftRules } from './soft';
import type { Baseline, MeterInfo } from './types';

export interface ValidationContext {
  nowMs: number;
  params: VeeParams;
  /** The meter named by the message; undefined when it is not registered. */
  meter: MeterInfo | undefined;
  baseline?: Baseline | undefined;
  /**
   * UTC months (`YYYY-MM`) whose readings were archived and dropped from Postgres: a reading there is
   * refused rather than recreating the partition beside the archive.
   */
  archivedMonths?: ReadonlySet<string> | undefined;
}

export interface AcceptedReading {
  /** Position in the message's `readings` array. */
  itemIndex: number;
  meterId: string;
  intervalStartMs: number;
  /** Exact decimal text with 4 decimals. */
  kwh: string;
  /** Soft rules the reading tripped; stored with it for review. Empty when clean. */
  flags: SoftRuleName[];
}

export interface RejectedReading {
  itemIndex: number;
  rule: ReadingRejectionRule;
  detail: string;
  /** As sent, when it was a string. */
  intervalStart?: string;
  intervalStartMs?: number;
}

export interface ValidationResult {
  /** In message order. */
  accepted: AcceptedReading[];
  /** In message order, including the items the decoder refused. */
  rejected: RejectedReading[];
}

interface Failure {
  rule: ReadingRejectionRule;
  detail: string;
}

/** `YYYY-MM` of the UTC month an instant falls in: the month of its readings partition. */
function utcMonth(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 7);
}

/** The first hard rule that needs the meter and that the reading fails, in catalogue order; null if none. */
function firstHardFailure(
  reading: DecodedReading,
  meter: MeterInfo,
  stepMs: number,
  latestEndMs: number,
  params: VeeParams,
  archivedMonths: ReadonlySet<string> | undefined,
): Failure | null {
  const startMs = reading.intervalStartMs;
  const endMs = startMs + stepMs;
  if (meter.status === 'inactive') {
    return { rule: 'inactive_meter', detail: `meter "${meter.id}" is inactive` };
  }
  if (meter.removedAtMs !== null && startMs >= meter.removedAtMs) {
    return {
      rule: 'inactive_meter',
      detail: `interval ${formatInstant(startMs)} starts at or after the meter's removal at ${formatInstant(meter.removedAtMs)}`,
    };
  }
  if (meter.status === 'removed' && meter.removedAtMs === null) {
    return { rule: 'inactive_meter', detail: `meter "${meter.id}" is removed` };
  }
  // The interval in which the meter was installed holds real energy, so only intervals ending by then are refused.
  if (endMs <= meter.installedAtMs) {
    return {
      rule: 'before_installation',
      detail: `interval ${formatInstant(startMs)} ends at ${formatInstant(endMs)}, not after the meter's installation at ${formatInstant(meter.installedAtMs)}`,
    };
  }
  if (!isAlignedToInterval(startMs, meter.intervalMinutes, meter.timeZone)) {
    return {
      rule: 'misaligned_interval',
      detail: `${reading.intervalStart} is not on the meter's ${meter.intervalMinutes}-minute grid in ${meter.timeZone}`,
    };
  }
  if (endMs > latestEndMs) {
    return {
      rule: 'future_interval',
      detail: `interval ${formatInstant(startMs)} ends at ${formatInstant(endMs)}, after now + ${params.futureToleranceMinutes} min (${formatInstant(latestEndMs)})`,
    };
  }
  if (archivedMonths !== undefined && archivedMonths.size > 0) {
    const month = utcMonth(startMs);
    if (archivedMonths.has(month)) {
      return {
        rule: 'archived_month',
        detail: `interval ${formatInstant(startMs)} falls in ${month}, which is archived and dropped from Postgres; restore the month (npm run archive -- restore ${month}) and redrive this reading`,
      };
    }
  }
  if (reading.kwhValue < 0) {
    return { rule: 'negative_value', detail: `kwh ${String(reading.kwhValue)} is negative` };
  }
  if (reading.kwhValue > meter.maxKwhPerInterval) {
    return {
      rule: 'above_physical_max',
      detail: `kwh ${String(reading.kwhValue)} exceeds the meter's maximum of ${String(meter.maxKwhPerInterval)} kWh per interval`,
    };
  }
  return null;
}

/**
 * Runs the reading rules on a decoded message: the decoder's item errors, then the hard rules in catalogue
 * order (the first failure rejects the reading), then the soft rules on what passed. Pure: the caller
 * supplies the meter, its baseline and the time.
 */
export function validateMessage(
  message: DecodedReadingMessage,
  context: ValidationContext,
): ValidationResult {
  const { meter, params } = context;
  const rejected: RejectedReading[] = [...message.itemErrors];
  const passed: DecodedReading[] = [];

  if (meter === undefined) {
    for (const reading of message.readings) {
      rejected.push({
        itemIndex: reading.itemIndex,
        rule: 'unknown_meter',
        detail: `meter "${message.meterId}" is not registered`,
        intervalStart: reading.intervalStart,
        intervalStartMs: reading.intervalStartMs,
      });
    }
  } else {
    const stepMs = meter.intervalMinutes * MINUTE_MS;
    const latestEndMs = context.nowMs + params.futureToleranceMinutes * MINUTE_MS;
    const firstItemByStart = new Map<number, number>();
    for (const reading of message.readings) {
      const failure = firstHardFailure(reading, meter, stepMs, latestEndMs, params, context.archivedMonths);
      const earlierItem = failure === null ? firstItemByStart.get(reading.intervalStartMs) : undefined;
      if (failure === null && earlierItem === undefined) {
        firstItemByStart.set(reading.intervalStartMs, reading.itemIndex);
        passed.push(reading);
        continue;
      }
      rejected.push({
        itemIndex: reading.itemIndex,
        ...(failure ?? {
          rule: 'duplicate_interval',
          detail: `interval ${formatInstant(reading.intervalStartMs)} is already given by readings[${String(earlierItem)}]`,
        }),
        intervalStart: reading.intervalStart,
        intervalStartMs: reading.intervalStartMs,
      });
    }
  }
  if (message.itemErrors.length > 0 && rejected.length > message.itemErrors.length) {
    rejected.sort((a, b) => a.itemIndex - b.itemIndex);
  }

  const flags =
    meter === undefined || passed.length === 0
      ? []
      : evaluateSoftRules(
          passed.map((reading) => ({ intervalStartMs: reading.intervalStartMs, kwh: reading.kwhValue })),
          meter,
          params,
          context.baseline,
        );
  const accepted = passed.map((reading, index): AcceptedReading => ({
    itemIndex: reading.itemIndex,
    meterId: message.meterId,
    intervalStartMs: reading.intervalStartMs,
    kwh: reading.kwh,
    flags: flags[index] ?? [],
  }));
  return { accepted, rejected };
}
