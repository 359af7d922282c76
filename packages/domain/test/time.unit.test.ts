import { describe, expect, it } from 'vitest';
import { readingItemSchema } from '../src/contract';
import {
  addDays,
  formatInstant,
  intervalStartsOfLocalDay,
  intervalsInLocalDay,
  isAlignedToInterval,
  isoWeekday,
  localDay,
  localDayBounds,
  localTimeParts,
  parseInstant,
  utcOffsetMs,
} from '../src/time';

const at = (iso: string) => Date.parse(iso);
const QUARTER = 15 * 60_000;

describe('parseInstant', () => {
  it('parses RFC 3339 instants with Z or an offset', () => {
    expect(parseInstant('2026-11-22T00:15:00Z')).toBe(1_795_306_500_000);
    expect(parseInstant('2026-11-22T01:15:00+01:00')).toBe(1_795_306_500_000);
    expect(parseInstant('2026-11-21T19:15:00-05:00')).toBe(1_795_306_500_000);
    expect(parseInstant('2026-11-22T05:45:00+05:30')).toBe(1_795_306_500_000);
    expect(parseInstant('2026-11-22T00:15:00.5Z')).toBe(1_795_306_500_500);
    expect(parseInstant('2026-11-22T00:15:00.123456789Z')).toBe(1_795_306_500_123);
    expect(parseInstant('2024-02-29T00:00:00Z')).toBe(at('2024-02-29T00:00:00Z'));
  });

  it('rejects local times and anything not strictly ISO', () => {
    for (const text of [
      '2026-11-22T00:15:00',
      '2026-11-22 00:15:00Z',
      '2026-11-22t00:15:00z',
      '2026-11-22T00:15Z',
      '2026-11-22T00:15:00+0100',
      '2026-11-22T00:15:00+24:00',
      '2026-11-22T24:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-11-22T00:15:00.Z',
      '2026-11-22T00:15:00Z ',
      '1795306500000',
      '',
    ]) {
      expect(parseInstant(text), text).toBeNull();
    }
  });

  it('accepts exactly what the published JSON Schema pattern accepts', () => {
    const intervalStart = readingItemSchema.shape.intervalStart;
    for (const text of [
      '2026-11-22T00:15:00Z',
      '2026-11-22T00:15:00.000001-09:30',
      '0000-01-01T00:00:00Z',
      '2000-02-29T23:59:59+23:59',
      '1900-02-29T00:00:00Z',
      '2026-11-22T00:15:60Z',
      '2026-13-01T00:00:00Z',
      '2026-11-22T00:15:00-00:60',
    ]) {
      expect(parseInstant(text) !== null, text).toBe(intervalStart.safeParse(text).success);
    }
  });
});

describe('formatInstant', () => {
  it('prints UTC without milliseconds unless there are some', () => {
    expect(formatInstant(1_795_306_500_000)).toBe('2026-11-22T00:15:00Z');
    expect(formatInstant(1_795_306_500_250)).toBe('2026-11-22T00:15:00.250Z');
  });
});

describe('calendar days', () => {
  it('adds days across month and year ends and gives ISO weekdays', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(isoWeekday('2026-11-22')).toBe(7);
    expect(isoWeekday('2026-11-23')).toBe(1);
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
  });
});

describe('zone offsets', () => {
  it('follows DST transitions to the second', () => {
    expect(utcOffsetMs(at('2026-03-29T00:59:59Z'), 'Europe/Amsterdam')).toBe(3_600_000);
    expect(utcOffsetMs(at('2026-03-29T01:00:00Z'), 'Europe/Amsterdam')).toBe(7_200_000);
    expect(utcOffsetMs(at('2026-11-01T05:59:59Z'), 'America/New_York')).toBe(-4 * 3_600_000);
    expect(utcOffsetMs(at('2026-11-01T06:00:00Z'), 'America/New_York')).toBe(-5 * 3_600_000);
  });

  it('refuses an unknown zone', () => {
    expect(() => utcOffsetMs(0, 'Mars/Olympus_Mons')).toThrow(RangeError);
  });
});

describe('isAlignedToInterval', () => {
  it('aligns to the local grid of half-hour offset zones (Asia/Kolkata, +05:30)', () => {
    // 00:00Z is 05:30 local, 00:15Z is 05:45 local.
    expect(isAlignedToInterval(at('2026-11-22T00:00:00Z'), 30, 'Asia/Kolkata')).toBe(true);
    expect(isAlignedToInterval(at('2026-11-22T00:15:00Z'), 30, 'Asia/Kolkata')).toBe(false);
    expect(isAlignedToInterval(at('2026-11-22T00:15:00Z'), 15, 'Asia/Kolkata')).toBe(true);
    expect(isAlignedToInterval(at('2026-11-22T00:07:00Z'), 15, 'Asia/Kolkata')).toBe(false);
  });

  it('aligns to the local grid of quarter-hour offset zones (Asia/Kathmandu, +05:45)', () => {
    // 00:15Z is 06:00 local, 00:00Z is 05:45 local.
    expect(isAlignedToInterval(at('2026-11-22T00:15:00Z'), 30, 'Asia/Kathmandu')).toBe(true);
    expect(isAlignedToInterval(at('2026-11-22T00:00:00Z'), 30, 'Asia/Kathmandu')).toBe(false);
    expect(isAlignedToInterval(at('2026-11-22T00:00:00Z'), 15, 'Asia/Kathmandu')).toBe(true);
  });

  it('stays aligned on both sides of a DST transition', () => {
    expect(isAlignedToInterval(at('2026-03-29T00:45:00Z'), 15, 'Europe/Amsterdam')).toBe(true);
    expect(isAlignedToInterval(at('2026-03-29T01:00:00Z'), 15, 'Europe/Amsterdam')).toBe(true);
    expect(isAlignedToInterval(at('2026-03-29T01:10:00Z'), 15, 'Europe/Amsterdam')).toBe(false);
  });
});

describe('localDay and localTimeParts', () => {
  it('gives the local calendar day of an instant', () => {
    expect(localDay(at('2026-11-22T22:59:59Z'), 'Europe/Amsterdam')).toBe('2026-11-22');
    expect(localDay(at('2026-11-22T23:00:00Z'), 'Europe/Amsterdam')).toBe('2026-11-23');
    expect(localDay(at('2026-11-22T04:59:59Z'), 'America/New_York')).toBe('2026-11-21');
    expect(localDay(at('2026-11-22T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-11-23');
  });

  it('gives wall-clock parts, which jump at a DST transition', () => {
    expect(localTimeParts(at('2026-03-29T00:45:00Z'), 'Europe/Amsterdam')).toEqual({
      day: '2026-03-29',
      isoWeekday: 7,
      dayOfYear: 88,
      minuteOfDay: 105,
      localHour: 1.75,
    });
    expect(localTimeParts(at('2026-03-29T01:00:00Z'), 'Europe/Amsterdam').minuteOfDay).toBe(180);
  });
});

describe('local day bounds and interval grids', () => {
  it('has 92 quarter hours on the Europe/Amsterdam spring-forward day', () => {
    expect(localDayBounds('2026-03-29', 'Europe/Amsterdam')).toEqual({
      startMs: at('2026-03-28T23:00:00Z'),
      endMs: at('2026-03-29T22:00:00Z'),
    });
    expect(intervalsInLocalDay('2026-03-29', 'Europe/Amsterdam', 15)).toBe(92);
    const starts = intervalStartsOfLocalDay('2026-03-29', 'Europe/Amsterdam', 15);
    expect(starts).toHaveLength(92);
    // 01:45 CET is followed by 03:00 CEST, one quarter hour later in absolute time.
    expect(starts[7]).toBe(at('2026-03-29T00:45:00Z'));
    expect(starts[8]).toBe(at('2026-03-29T01:00:00Z'));
    expect(starts.at(-1)).toBe(at('2026-03-29T21:45:00Z'));
  });

  it('has 100 quarter hours on the Europe/Amsterdam fall-back day', () => {
    expect(localDayBounds('2026-10-25', 'Europe/Amsterdam')).toEqual({
      startMs: at('2026-10-24T22:00:00Z'),
      endMs: at('2026-10-25T23:00:00Z'),
    });
    expect(intervalsInLocalDay('2026-10-25', 'Europe/Amsterdam', 15)).toBe(100);
    const starts = intervalStartsOfLocalDay('2026-10-25', 'Europe/Amsterdam', 15);
    expect(starts).toHaveLength(100);
    expect(starts[0]).toBe(at('2026-10-24T22:00:00Z'));
    expect(starts.at(-1)).toBe(at('2026-10-25T22:45:00Z'));
    expect(starts.every((start, i) => i === 0 || start - (starts[i - 1] ?? 0) === QUARTER)).toBe(true);
  });

  it('has 96 quarter hours on an ordinary day', () => {
    expect(intervalsInLocalDay('2026-11-22', 'Europe/Amsterdam', 15)).toBe(96);
    expect(intervalsInLocalDay('2026-11-22', 'Europe/Amsterdam', 30)).toBe(48);
  });

  it('handles America/New_York DST days', () => {
    expect(localDayBounds('2026-03-08', 'America/New_York')).toEqual({
      startMs: at('2026-03-08T05:00:00Z'),
      endMs: at('2026-03-09T04:00:00Z'),
    });
    expect(intervalsInLocalDay('2026-03-08', 'America/New_York', 15)).toBe(92);
    expect(localDayBounds('2026-11-01', 'America/New_York')).toEqual({
      startMs: at('2026-11-01T04:00:00Z'),
      endMs: at('2026-11-02T05:00:00Z'),
    });
    expect(intervalsInLocalDay('2026-11-01', 'America/New_York', 30)).toBe(50);
  });

  it('handles Europe/London clock changes for 30-minute meters', () => {
    expect(intervalsInLocalDay('2026-03-29', 'Europe/London', 30)).toBe(46);
    expect(intervalsInLocalDay('2026-10-25', 'Europe/London', 30)).toBe(50);
    expect(intervalStartsOfLocalDay('2026-11-22', 'Europe/London', 30).slice(0, 2)).toEqual([
      at('2026-11-22T00:00:00Z'),
      at('2026-11-22T00:30:00Z'),
    ]);
  });

  it('starts a day whose midnight is skipped at the transition (America/Santiago)', () => {
    // Chile moves from 24:00 to 01:00 on 2026-09-06.
    expect(localDayBounds('2026-09-06', 'America/Santiago')).toEqual({
      startMs: at('2026-09-06T04:00:00Z'),
      endMs: at('2026-09-07T03:00:00Z'),
    });
    expect(intervalsInLocalDay('2026-09-06', 'America/Santiago', 15)).toBe(92);
  });

  it('uses the local grid of quarter-hour offset zones', () => {
    const starts = intervalStartsOfLocalDay('2026-11-22', 'Asia/Kathmandu', 30);
    expect(starts).toHaveLength(48);
    expect(starts[0]).toBe(at('2026-11-21T18:15:00Z'));
  });

  it('refuses an interval length that does not divide a day', () => {
    expect(() => intervalsInLocalDay('2026-11-22', 'Europe/Amsterdam', 7)).toThrow(RangeError);
  });
});
