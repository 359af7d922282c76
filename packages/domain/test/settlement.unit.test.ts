import { describe, expect, it } from 'vitest';
import { dueSettlementDay, periodOf, settlementDay } from '../src/settlement';

const utc = (text: string) => Date.parse(text);

describe('settlement periods', () => {
  it('numbers 48 half hours on an ordinary London day', () => {
    const day = settlementDay('2026-11-18', 'Europe/London');
    expect(day.periods).toHaveLength(48);
    expect(day.periods[0]).toEqual({
      period: 1,
      startMs: utc('2026-11-18T00:00:00Z'),
      endMs: utc('2026-11-18T00:30:00Z'),
    });
    expect(day.periods[47]?.startMs).toBe(utc('2026-11-18T23:30:00Z'));
  });

  it('has 46 periods on the day clocks go forward, numbered by elapsed time', () => {
    const day = settlementDay('2026-03-29', 'Europe/London');
    expect(day.periods).toHaveLength(46);
    expect(day.startMs).toBe(utc('2026-03-29T00:00:00Z'));
    expect(day.endMs).toBe(utc('2026-03-29T23:00:00Z'));
    // 01:00 UTC is 02:00 BST, the first half hour after the skipped hour: period 3.
    expect(periodOf(utc('2026-03-29T01:00:00Z'), day.startMs)).toBe(3);
    expect(day.periods[45]?.startMs).toBe(utc('2026-03-29T22:30:00Z'));
  });

  it('has 50 periods on the day clocks go back, the repeated hour in periods 3–6', () => {
    const day = settlementDay('2026-10-25', 'Europe/London');
    expect(day.periods).toHaveLength(50);
    expect(day.startMs).toBe(utc('2026-10-24T23:00:00Z'));
    expect(day.endMs).toBe(utc('2026-10-26T00:00:00Z'));
    // 01:00 BST (00:00 UTC) is period 3, 01:00 GMT (01:00 UTC) period 5.
    expect(periodOf(utc('2026-10-25T00:00:00Z'), day.startMs)).toBe(3);
    expect(periodOf(utc('2026-10-25T01:00:00Z'), day.startMs)).toBe(5);
    expect(periodOf(utc('2026-10-25T23:45:00Z'), day.startMs)).toBe(50);
  });

  it('puts both 15-minute readings of a half hour in one period', () => {
    const day = settlementDay('2026-11-18', 'Europe/Amsterdam');
    expect(day.startMs).toBe(utc('2026-11-17T23:00:00Z'));
    expect(periodOf(utc('2026-11-17T23:15:00Z'), day.startMs)).toBe(1);
    expect(periodOf(utc('2026-11-17T23:30:00Z'), day.startMs)).toBe(2);
  });

  it('finds the day a run is due for in the market zone', () => {
    // 23:30 UTC on 18 Nov is already 19 Nov in Amsterdam.
    expect(dueSettlementDay(utc('2026-11-18T23:30:00Z'), 'Europe/Amsterdam', 1)).toBe('2026-11-18');
    expect(dueSettlementDay(utc('2026-11-18T23:30:00Z'), 'Europe/London', 1)).toBe('2026-11-17');
    expect(dueSettlementDay(utc('2026-11-18T12:00:00Z'), 'Europe/London', 28)).toBe('2026-10-21');
  });
});
