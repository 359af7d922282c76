import { MINUTE_MS, localDay } from '../time';
import type { VeeParams } from './params';
import type { SoftRuleName } from './rules';
import type { Baseline, MeterInfo } from './types';

/** A reading as the soft rules see it; kwh as a number or the exact decimal text from the database. */
export interface SoftRuleReading {
  intervalStartMs: number;
  kwh: number | string;
}

type SoftRuleMeter = Pick<MeterInfo, 'intervalMinutes' | 'timeZone' | 'status'>;

/**
 * Soft flags for a set of readings of one meter (one message, or one local day for the batch layer),
 * parallel to the input and in rule-catalogue order. The readings must not repeat an interval.
 * spike is judged per local day; zero runs may cross midnight; low_vs_history looks at the whole set.
 */
export function evaluateSoftRules(
  readings: readonly SoftRuleReading[],
  meter: SoftRuleMeter,
  params: VeeParams,
  baseline?: Baseline,
): SoftRuleName[][] {
  const count = readings.length;
  const values = readings.map((reading) =>
    typeof reading.kwh === 'number' ? reading.kwh : Number(reading.kwh),
  );
  const spike = new Array<boolean>(count).fill(false);
  const high = new Array<boolean>(count).fill(false);
  const zero = new Array<boolean>(count).fill(false);
  let low = false;

  const historyUsable = baseline !== undefined && baseline.samples >= params.minHistorySamples;
  if (historyUsable) {
    const highThreshold = Math.max(params.highFactor * baseline.p95Kwh, params.highMinKwh);
    for (let i = 0; i < count; i++) high[i] = (values[i] ?? 0) > highThreshold;

    const coveredMinutes = count * meter.intervalMinutes;
    if (baseline.meanKwh >= params.lowMinMeanKwh && coveredMinutes >= params.lowMinHours * 60) {
      const mean = values.reduce((sum, value) => sum + value, 0) / count;
      low = mean < params.lowFactor * baseline.meanKwh;
    }
  }

  if (count >= 3) flagSpikes(readings, values, meter.timeZone, params, spike);
  if (meter.status === 'active') flagZeroRuns(readings, values, meter.intervalMinutes, params, zero);

  const flags: SoftRuleName[][] = [];
  for (let i = 0; i < count; i++) {
    const own: SoftRuleName[] = [];
    if (spike[i] === true) own.push('spike');
    if (high[i] === true) own.push('high_vs_history');
    if (low) own.push('low_vs_history');
    if (zero[i] === true) own.push('zero_on_active');
    flags.push(own);
  }
  return flags;
}

function flagSpikes(
  readings: readonly SoftRuleReading[],
  values: readonly number[],
  timeZone: string,
  params: VeeParams,
  spike: boolean[],
): void {
  const byDay = new Map<string, number[]>();
  readings.forEach((reading, index) => {
    const day = localDay(reading.intervalStartMs, timeZone);
    const indices = byDay.get(day);
    if (indices === undefined) byDay.set(day, [index]);
    else indices.push(index);
  });
  for (const indices of byDay.values()) {
    if (indices.length < 3) continue;
    // Highest first; on equal values the earlier interval ranks first, so the flag is deterministic.
    const ranked = indices.toSorted(
      (a, b) =>
        (values[b] ?? 0) - (values[a] ?? 0) ||
        (readings[a]?.intervalStartMs ?? 0) - (readings[b]?.intervalStartMs ?? 0),
    );
    const [highestIndex, , thirdIndex] = ranked;
    if (highestIndex === undefined || thirdIndex === undefined) continue;
    const highest = values[highestIndex] ?? 0;
    const third = values[thirdIndex] ?? 0;
    if (highest > params.spikeRatio * third && highest > params.spikeMinKwh) spike[highestIndex] = true;
  }
}

function flagZeroRuns(
  readings: readonly SoftRuleReading[],
  values: readonly number[],
  intervalMinutes: number,
  params: VeeParams,
  zero: boolean[],
): void {
  const stepMs = intervalMinutes * MINUTE_MS;
  const byTime = readings
    .map((_, index) => index)
    .sort((a, b) => (readings[a]?.intervalStartMs ?? 0) - (readings[b]?.intervalStartMs ?? 0));
  let run: number[] = [];
  const closeRun = () => {
    if (run.length * intervalMinutes >= params.zeroRunMinutes) for (const index of run) zero[index] = true;
    run = [];
  };
  let previousStart = Number.NaN;
  for (const index of byTime) {
    const start = readings[index]?.intervalStartMs ?? Number.NaN;
    if (values[index] !== 0) {
      closeRun();
    } else {
      if (run.length > 0 && start !== previousStart + stepMs) closeRun();
      run.push(index);
    }
    previousStart = start;
  }
  closeRun();
}
