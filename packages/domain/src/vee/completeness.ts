import { intervalStartsOfLocalDay, type LocalDay } from '../time';

export interface IntervalCompleteness {
  /** Intervals the meter should report for the day (92/96/100 at 15 minutes). */
  expected: number;
  /** Expected intervals that are present. */
  present: number;
  /** Expected interval starts that are absent, ascending. */
  missing: number[];
  /** Given starts that are not interval starts of the day (other day or off the grid), ascending. */
  unexpected: number[];
}

/** Expected versus present intervals of one meter for one local day, for the batch layer and completeness views. */
export function intervalCompleteness(
  day: LocalDay,
  timeZone: string,
  intervalMinutes: number,
  presentStarts: Iterable<number>,
): IntervalCompleteness {
  const expectedStarts = intervalStartsOfLocalDay(day, timeZone, intervalMinutes);
  const given = new Set(presentStarts);
  const expectedSet = new Set(expectedStarts);
  const missing = expectedStarts.filter((start) => !given.has(start));
  const unexpected = [...given].filter((start) => !expectedSet.has(start)).sort((a, b) => a - b);
  return {
    expected: expectedStarts.length,
    present: expectedStarts.length - missing.length,
    missing,
    unexpected,
  };
}
