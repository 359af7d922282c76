/**
 * The market's settlement day: half-hour periods numbered 1 … n by elapsed time from the local day's
 * start, so a 23-hour day (clocks forward) has 46 periods and a 25-hour day (clocks back) 50. A reading
 * belongs to the period its interval starts in.
 */
import { addDays, localDay, localDayBounds, MINUTE_MS, type LocalDay } from './time';

export const SETTLEMENT_PERIOD_MS = 30 * MINUTE_MS;

/** Bumped whenever what a run computes changes; stored with every run. */
export const SETTLEMENT_CODE_VERSION = 'settlement-1';

export const settlementRunTypes = ['initial', 'r1', 'r2', 'rf'] as const;
export type SettlementRunType = (typeof settlementRunTypes)[number];

export const settlementRunTypeLabels: Record<SettlementRunType, string> = {
  initial: 'Initial (SF)',
  r1: 'Reconciliation R1',
  r2: 'Reconciliation R2',
  rf: 'Final reconciliation (RF)',
};

/** The timetable the migration seeds: days after the settlement day each run is due. */
export const defaultSettlementTimetable: Record<SettlementRunType, number> = {
  initial: 1,
  r1: 5,
  r2: 14,
  rf: 28,
};

export interface SettlementPeriod {
  /** 1-based. */
  period: number;
  startMs: number;
  endMs: number;
}

export interface SettlementDay {
  day: LocalDay;
  timeZone: string;
  startMs: number;
  endMs: number;
  periods: SettlementPeriod[];
}

/** The periods of a local settlement day in `timeZone`. */
export function settlementDay(day: LocalDay, timeZone: string): SettlementDay {
  const { startMs, endMs } = localDayBounds(day, timeZone);
  const periods: SettlementPeriod[] = [];
  for (let at = startMs, period = 1; at < endMs; at += SETTLEMENT_PERIOD_MS, period++) {
    periods.push({ period, startMs: at, endMs: Math.min(at + SETTLEMENT_PERIOD_MS, endMs) });
  }
  return { day, timeZone, startMs, endMs, periods };
}

/** The period an interval starting at `intervalStartMs` belongs to, on a day starting at `dayStartMs`. */
export function periodOf(intervalStartMs: number, dayStartMs: number): number {
  return Math.floor((intervalStartMs - dayStartMs) / SETTLEMENT_PERIOD_MS) + 1;
}

/** The settlement day a run of `daysAfter` is due for on the market's local day containing `nowMs`. */
export function dueSettlementDay(nowMs: number, timeZone: string, daysAfter: number): LocalDay {
  return addDays(localDay(nowMs, timeZone), -daysAfter);
}
