import { describe, expect, it } from 'vitest';
import { runBacktest } from '../src/forecast/backtest';

describe('the forecast backtest', () => {
  it('is deterministic, and forecasts a 300-meter fleet’s regions day-ahead within 5 %', () => {
    const options = { meters: 300, weeks: 7, holdoutWeeks: 1, endDay: '2026-11-29', seed: 5 };
    const first = runBacktest(options);
    const second = runBacktest(options);
    expect(second).toEqual(first);
    // 294 active meters in 9 regions, each held-out day's 48 half hours.
    expect(first.meters).toBe(294);
    expect(first.compared).toEqual({
      regionHalfHours: 9 * 7 * 48,
      regionSegmentHalfHours: 18 * 7 * 48,
      meterDays: 294 * 7,
    });
    expect(first.mape.regionDayAhead.toFixed(2)).toBe('3.41');
    expect(first.mape.meterDayAhead.toFixed(2)).toBe('3.99');
    expect(first.mape.regionDayAhead).toBeLessThanOrEqual(5);
  }, 180_000);
});
