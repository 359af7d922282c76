import { describe, expect, it } from 'vitest';
import { formatKwh } from '../src/kwh';
import {
  expectedIntervalKwh,
  sampleIntervalKwh,
  typicalDailyKwh,
  type ProfileInput,
  type Segment,
} from '../src/profiles';
import { createRandom } from '../src/random';

const base: ProfileInput = {
  segment: 'residential',
  localHour: 0,
  isoWeekday: 3,
  dayOfYear: 15,
  intervalMinutes: 15,
  meterScale: 1,
};

function dayKwh(input: Omit<ProfileInput, 'localHour'>): number {
  const perDay = (24 * 60) / input.intervalMinutes;
  let sum = 0;
  for (let i = 0; i < perDay; i++)
    sum += expectedIntervalKwh({ ...input, localHour: (i * input.intervalMinutes) / 60 });
  return sum;
}

function yearlyAverageDayKwh(segment: Segment): number {
  let sum = 0;
  for (let dayOfYear = 1; dayOfYear <= 364; dayOfYear++) {
    sum += dayKwh({ ...base, segment, dayOfYear, isoWeekday: ((dayOfYear - 1) % 7) + 1 });
  }
  return sum / 364;
}

describe('expectedIntervalKwh', () => {
  it('averages about 10 kWh a day for a typical home and 200 for a typical business', () => {
    expect(typicalDailyKwh).toEqual({ residential: 10, commercial: 200 });
    expect(Math.abs(yearlyAverageDayKwh('residential') - 10)).toBeLessThan(0.1);
    expect(Math.abs(yearlyAverageDayKwh('commercial') - 200)).toBeLessThan(2);
  });

  it('gives homes a morning and a larger evening peak over a low night', () => {
    const at = (localHour: number) => expectedIntervalKwh({ ...base, localHour });
    expect(at(7)).toBeGreaterThan(2.5 * at(3));
    expect(at(19)).toBeGreaterThan(at(7));
    expect(at(19)).toBeGreaterThan(4 * at(3));
    expect(at(11)).toBeLessThan(at(7));
  });

  it('moves the residential morning later at weekends', () => {
    const weekday = (localHour: number) => expectedIntervalKwh({ ...base, localHour });
    const sunday = (localHour: number) => expectedIntervalKwh({ ...base, isoWeekday: 7, localHour });
    expect(sunday(7)).toBeLessThan(weekday(7));
    expect(sunday(10)).toBeGreaterThan(weekday(10));
  });

  it('uses more in winter than in summer', () => {
    expect(dayKwh({ ...base, dayOfYear: 15 })).toBeGreaterThan(1.5 * dayKwh({ ...base, dayOfYear: 197 }));
  });

  it('gives businesses a weekday plateau and quiet nights and weekends', () => {
    const commercial = { ...base, segment: 'commercial' as const };
    const at = (localHour: number, isoWeekday = 3) =>
      expectedIntervalKwh({ ...commercial, localHour, isoWeekday });
    expect(at(11)).toBeGreaterThan(3 * at(23));
    expect(Math.abs(at(10) - at(15)) / at(10)).toBeLessThan(0.05);
    expect(at(11, 7)).toBeLessThan(at(11) / 3);
    expect(dayKwh({ ...commercial, isoWeekday: 7 })).toBeLessThan(dayKwh(commercial) / 4);
  });

  it('scales with the meter and the interval length', () => {
    expect(expectedIntervalKwh({ ...base, localHour: 19, meterScale: 2 })).toBeCloseTo(
      2 * expectedIntervalKwh({ ...base, localHour: 19 }),
      12,
    );
    expect(dayKwh({ ...base, intervalMinutes: 30 })).toBeCloseTo(dayKwh(base), 1);
  });
});

describe('sampleIntervalKwh', () => {
  it('is deterministic for a seed, non-negative and has at most 4 decimals', () => {
    const draw = () => {
      const random = createRandom(2026);
      return Array.from({ length: 96 }, (_, i) => sampleIntervalKwh({ ...base, localHour: i / 4 }, random));
    };
    const values = draw();
    expect(values).toEqual(draw());
    expect(values.every((kwh) => kwh >= 0 && formatKwh(kwh) !== null)).toBe(true);
  });

  it('has the expected value as its mean', () => {
    const random = createRandom(5);
    const input = { ...base, localHour: 19 };
    let sum = 0;
    for (let i = 0; i < 50_000; i++) sum += sampleIntervalKwh(input, random);
    expect(Math.abs(sum / 50_000 / expectedIntervalKwh(input) - 1)).toBeLessThan(0.01);
  });
});
