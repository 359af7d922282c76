import { describe, expect, it } from 'vitest';
import { resolveDayRange } from '../src/components/ops/DayRangeControls';
import { countsByDay, missingOf, sumCounts } from '../src/lib/completeness';
import { sumDecimals } from '../src/lib/decimal';
import {
  formatAgo,
  formatDecimal,
  formatDuration,
  formatKey,
  formatShare,
  formatUtc,
  sharePercent,
} from '../src/lib/format';
import { dayRangeSchema, daysOf, periodsOf } from '../src/lib/ops-params';

describe('exact decimal sums', () => {
  it('adds kWh strings without floating-point error', () => {
    expect(sumDecimals(['0.1000', '0.2000'])).toBe('0.3000');
    expect(sumDecimals(['3122.7685', '3127.8521', '3128.2916'])).toBe('9378.9122');
    expect(sumDecimals(['1.5', '0.25'])).toBe('1.75');
    expect(sumDecimals(['-0.5000', '0.2500'])).toBe('-0.2500');
    expect(sumDecimals([])).toBe('0');
  });
});

describe('formatting', () => {
  it('keeps every digit of an exact decimal and adds thousands separators', () => {
    expect(formatDecimal('28408.8367')).toBe('28,408.8367');
    expect(formatDecimal('-1234567.5')).toBe('-1,234,567.5');
    expect(formatDecimal('12')).toBe('12');
  });

  it('never rounds an incomplete share up to 100 % or a non-zero one down to 0 %', () => {
    expect(formatShare(3210, 3216)).toBe('99.8 %');
    expect(formatShare(99_999, 100_000)).toBe('99.9 %');
    expect(formatShare(100, 100)).toBe('100.0 %');
    expect(formatShare(1, 100_000)).toBe('0.1 %');
    expect(formatShare(0, 0)).toBe('–');
    expect(sharePercent(99_999, 100_000)).toBe(99.9);
    expect(sharePercent(5, 5)).toBe(100);
  });

  it('writes durations the way people read them', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(200_000)).toBe('3 min 20 s');
    expect(formatDuration(7_500_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3_600_000)).toBe('3 d 4 h');
  });

  it('writes times in UTC and relative ages', () => {
    expect(formatUtc(Date.parse('2026-11-20T14:05:09.123Z'))).toBe('2026-11-20 14:05:09 UTC');
    expect(formatUtc(Date.parse('2026-11-20T14:05:09Z'), { seconds: false })).toBe('2026-11-20 14:05 UTC');
    expect(formatAgo(1_000_000 - 90_000, 1_000_000)).toBe('1 min 30 s ago');
    expect(formatAgo(1_000_000, 1_000_500)).toBe('just now');
  });

  it('turns keys into names', () => {
    expect(formatKey('north-west')).toBe('North West');
    expect(formatKey('residential')).toBe('Residential');
    expect(formatKey('RES-FLAT')).toBe('RES-FLAT');
  });
});

describe('day ranges and periods', () => {
  it('lists every day and period of a range', () => {
    expect(daysOf('2026-02-27', '2026-03-02')).toEqual([
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
    ]);
    expect(periodsOf('month', '2026-01-30', '2026-03-01')).toEqual([
      '2026-01-01',
      '2026-02-01',
      '2026-03-01',
    ]);
    const hours = periodsOf('hour', '2026-11-19', '2026-11-20');
    expect(hours).toHaveLength(48);
    expect(hours[0]).toBe('2026-11-19T00:00:00Z');
    expect(hours.at(-1)).toBe('2026-11-20T23:00:00Z');
  });

  it('validates a range: real days, in order, not too long', () => {
    const schema = dayRangeSchema(7);
    expect(schema.safeParse({ from: '2026-11-01', to: '2026-11-07' }).success).toBe(true);
    expect(schema.safeParse({ from: '2026-11-01', to: '2026-11-08' }).success).toBe(false);
    expect(schema.safeParse({ from: '2026-11-05', to: '2026-11-01' }).success).toBe(false);
    expect(schema.safeParse({ from: '2026-02-30', to: '2026-03-01' }).success).toBe(false);
  });

  it('takes the range from the URL when valid, else ends on the newest day with data', () => {
    expect(resolveDayRange({ from: '2026-11-01', to: '2026-11-03' }, '2026-11-20', 14, 92)).toEqual({
      from: '2026-11-01',
      to: '2026-11-03',
    });
    expect(resolveDayRange({ from: null, to: null }, '2026-11-20', 14, 92)).toEqual({
      from: '2026-11-07',
      to: '2026-11-20',
    });
    expect(resolveDayRange({ from: '2026-01-01', to: '2026-11-20' }, '2026-11-20', 14, 92)).toEqual({
      from: '2026-11-07',
      to: '2026-11-20',
    });
    expect(resolveDayRange({ from: null, to: null }, undefined, 14, 92)).toBeNull();
  });
});

describe('completeness arithmetic', () => {
  const cells = [
    { day: '2026-11-18', region: 'london', expected: 100, actual: 90, estimated: 4, edited: 1 },
    { day: '2026-11-18', region: 'wales', expected: 50, actual: 50, estimated: 0, edited: 0 },
    { day: '2026-11-19', region: 'london', expected: 100, actual: 100, estimated: 0, edited: 0 },
  ];

  it('counts missing intervals as expected minus everything present, never below zero', () => {
    expect(missingOf(cells[0] as (typeof cells)[number])).toBe(5);
    expect(missingOf({ expected: 10, actual: 12, estimated: 0, edited: 0 })).toBe(0);
  });

  it('sums per day for all regions or one, marking days without rows', () => {
    expect(sumCounts(cells)).toEqual({ expected: 250, actual: 240, estimated: 4, edited: 1 });
    const all = countsByDay(cells, ['2026-11-18', '2026-11-19', '2026-11-20'], null);
    expect(all.map((row) => [row.day, row.expected, row.actual, row.hasData])).toEqual([
      ['2026-11-18', 150, 140, true],
      ['2026-11-19', 100, 100, true],
      ['2026-11-20', 0, 0, false],
    ]);
    expect(countsByDay(cells, ['2026-11-18'], 'wales')[0]).toMatchObject({ expected: 50, actual: 50 });
  });
});
