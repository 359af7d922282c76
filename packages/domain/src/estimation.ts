/**
 * Estimation of missing intervals (the E of VEE). Short gaps between measured readings are interpolated
 * linearly; longer ones, and gaps at the edge of the known data, take like-day averages. All arithmetic
 * is on integer units of 0.0001 kWh so estimates are exact decimals and reproducible.
 */
import { kwhToUnits, unitsToKwh } from './kwh';
import { MINUTE_MS, addDays, intervalStartsOfLocalDay, localTimeParts, type LocalDay } from './time';

export type EstimationMethod = 'linear_interpolation' | 'like_day';

export interface EstimationParams {
  /** Longest run of missing intervals, in minutes, that is interpolated linearly. */
  maxInterpolationMinutes: number;
  /** How many previous same weekdays a like-day average looks at. */
  likeDayWeeks: number;
}

export const defaultEstimationParams: Readonly<EstimationParams> = Object.freeze({
  maxInterpolationMinutes: 120,
  likeDayWeeks: 4,
});

/** A measured interval: its start and its kWh (a number or exact decimal text). */
export interface KwhPoint {
  t: number;
  kwh: number | string;
}

function floorDiv(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  return numerator % denominator < 0n ? quotient - 1n : quotient;
}

/**
 * Interval energies on the straight line between two measured intervals, one per gap start (each strictly
 * between them), as 4-decimal kWh text. Each value is the line's value rounded down or up to 0.0001 kWh so
 * that the values sum to the line's exact total rounded half up; the round-ups go to the largest
 * remainders, earliest first on ties.
 */
export function interpolateLinear(before: KwhPoint, after: KwhPoint, gapStarts: readonly number[]): string[] {
  if (!(before.t < after.t)) throw new RangeError('interpolateLinear: before must precede after');
  const span = BigInt(after.t - before.t);
  const beforeUnits = BigInt(kwhToUnits(before.kwh));
  const riseUnits = BigInt(kwhToUnits(after.kwh)) - beforeUnits;

  const floors: bigint[] = [];
  const remainders: bigint[] = [];
  let exactTotal = 0n;
  let floorTotal = 0n;
  for (const start of gapStarts) {
    if (!(start > before.t && start < after.t)) {
      throw new RangeError(`interpolateLinear: gap start ${start} is not between ${before.t} and ${after.t}`);
    }
    // value = numerator / span, exactly.
    const numerator = beforeUnits * span + riseUnits * BigInt(start - before.t);
    const floor = floorDiv(numerator, span);
    floors.push(floor);
    remainders.push(numerator - floor * span);
    exactTotal += numerator;
    floorTotal += floor;
  }

  // Fewer round-ups than non-zero remainders: each remainder is below span, so their sum rounds to at most their count.
  const roundUps = Number(floorDiv(2n * exactTotal + span, 2n * span) - floorTotal);
  const byRemainder = floors
    .map((_, index) => index)
    .sort((a, b) => {
      const difference = (remainders[b] ?? 0n) - (remainders[a] ?? 0n);
      return difference > 0n ? 1 : difference < 0n ? -1 : a - b;
    });
  for (const index of byRemainder.slice(0, roundUps)) floors[index] = (floors[index] ?? 0n) + 1n;
  return floors.map((units) => unitsToKwh(units));
}

/** One day of a meter's history for like-day averages. */
export interface HistoryDay {
  day: LocalDay;
  /**
   * kWh per slot of the local day, slot = wall-clock minute of the interval start / interval minutes
   * (0–95 at 15 minutes); null where there is no value. On a fall-back day the repeated hour shares slots.
   */
  values: readonly (number | string | null)[];
  /** The day holds estimates; like-day averages are built from measured days only. */
  estimated: boolean;
}

/**
 * Per-slot average of the same weekday in the `likeDayWeeks` weeks before `targetDay`, over measured
 * (not estimated) days, as 4-decimal kWh text rounded half up; a slot no such day has is null. Null when
 * no such day exists.
 */
export function likeDayAverage(
  history: readonly HistoryDay[],
  targetDay: LocalDay,
  params: EstimationParams = defaultEstimationParams,
): (string | null)[] | null {
  const wanted = new Set<string>();
  for (let week = 1; week <= params.likeDayWeeks; week++) wanted.add(addDays(targetDay, -7 * week));
  const usable = history.filter((entry) => !entry.estimated && wanted.has(entry.day));
  if (usable.length === 0) return null;

  const slots = Math.max(...usable.map((entry) => entry.values.length));
  const averages: (string | null)[] = [];
  for (let slot = 0; slot < slots; slot++) {
    let sum = 0;
    let count = 0;
    for (const entry of usable) {
      const value = entry.values[slot];
      if (value === null || value === undefined) continue;
      sum += kwhToUnits(value);
      count += 1;
    }
    averages.push(count === 0 ? null : unitsToKwh(Math.floor((2 * sum + count) / (2 * count))));
  }
  return averages;
}

export interface GapEstimationInput {
  day: LocalDay;
  timeZone: string;
  intervalMinutes: number;
  /**
   * Measured (actual or edited) readings of the day. The interval just before the day and the one just after
   * may be included; they then serve as interpolation neighbours for gaps at the day's edges.
   */
  readings: readonly { intervalStartMs: number; kwh: number | string }[];
  history: readonly HistoryDay[];
}

export interface Estimate {
  intervalStartMs: number;
  kwh: string;
  method: EstimationMethod;
}

/**
 * Estimates for the missing intervals of a local day, ascending. A run of missing intervals no longer than
 * `maxInterpolationMinutes` with measured neighbours on both sides is interpolated linearly; any other
 * run takes the like-day average of its slots. Intervals no method can fill are left out.
 */
export function estimateGaps(
  input: GapEstimationInput,
  params: EstimationParams = defaultEstimationParams,
): Estimate[] {
  const { day, timeZone, intervalMinutes } = input;
  const stepMs = intervalMinutes * MINUTE_MS;
  const measured = new Map<number, number | string>();
  for (const reading of input.readings) measured.set(reading.intervalStartMs, reading.kwh);

  let likeDay: (string | null)[] | null | undefined;
  const estimates: Estimate[] = [];
  const fill = (gap: readonly number[]) => {
    const first = gap[0];
    const last = gap.at(-1);
    if (first === undefined || last === undefined) return;
    const beforeKwh = measured.get(first - stepMs);
    const afterKwh = measured.get(last + stepMs);
    if (
      beforeKwh !== undefined &&
      afterKwh !== undefined &&
      gap.length * intervalMinutes <= params.maxInterpolationMinutes
    ) {
      const values = interpolateLinear(
        { t: first - stepMs, kwh: beforeKwh },
        { t: last + stepMs, kwh: afterKwh },
        gap,
      );
      values.forEach((kwh, position) => {
        estimates.push({ intervalStartMs: gap[position] ?? first, kwh, method: 'linear_interpolation' });
      });
      return;
    }
    likeDay ??= likeDayAverage(input.history, day, params);
    if (likeDay === null) return;
    for (const intervalStartMs of gap) {
      const slot = Math.floor(localTimeParts(intervalStartMs, timeZone).minuteOfDay / intervalMinutes);
      const kwh = likeDay[slot];
      if (kwh !== null && kwh !== undefined) estimates.push({ intervalStartMs, kwh, method: 'like_day' });
    }
  };

  let gap: number[] = [];
  for (const start of intervalStartsOfLocalDay(day, timeZone, intervalMinutes)) {
    if (!measured.has(start)) {
      gap.push(start);
    } else if (gap.length > 0) {
      fill(gap);
      gap = [];
    }
  }
  fill(gap);
  return estimates;
}
