import { describe, expect, it } from 'vitest';
import {
  defaultEstimationParams,
  estimateGaps,
  interpolateLinear,
  likeDayAverage,
  type HistoryDay,
} from '../src/estimation';

const at = (iso: string) => Date.parse(iso);
const QUARTER = 900_000;
const t0 = at('2026-11-22T10:00:00Z');
const quarters = (...indexes: number[]) => indexes.map((i) => t0 + i * QUARTER);

describe('interpolateLinear', () => {
  it('puts each missing interval on the straight line between its neighbours', () => {
    // 0.1 at 10:00 and 0.4 at 11:00: +0.075 per quarter hour.
    expect(
      interpolateLinear({ t: t0, kwh: 0.1 }, { t: t0 + 4 * QUARTER, kwh: '0.4000' }, quarters(1, 2, 3)),
    ).toEqual(['0.1750', '0.2500', '0.3250']);
  });

  it('rounds to 0.0001 kWh', () => {
    // Exact values 0.13333… and 0.16666…
    expect(interpolateLinear({ t: t0, kwh: 0.1 }, { t: t0 + 3 * QUARTER, kwh: 0.2 }, quarters(1, 2))).toEqual(
      ['0.1333', '0.1667'],
    );
  });

  it('keeps the sum of the estimates equal to the line total, giving round-ups to the largest remainders', () => {
    // Line from 0 to 2 units over 4 steps: 0.5, 1, 1.5 units, total exactly 3 units. Rounding each half up
    // would give 1 + 1 + 2 = 4; the total is kept at 3 and the tie between the two halves goes to the earlier.
    expect(
      interpolateLinear({ t: t0, kwh: 0 }, { t: t0 + 4 * QUARTER, kwh: 0.0002 }, quarters(1, 2, 3)),
    ).toEqual(['0.0001', '0.0001', '0.0001']);
    // Line from 0 to 1 unit: 0.25, 0.5, 0.75 units, total 1.5 rounds half up to 2.
    expect(
      interpolateLinear({ t: t0, kwh: 0 }, { t: t0 + 4 * QUARTER, kwh: 0.0001 }, quarters(1, 2, 3)),
    ).toEqual(['0.0000', '0.0001', '0.0001']);
  });

  it('refuses gap starts outside its neighbours', () => {
    expect(() => interpolateLinear({ t: t0, kwh: 0 }, { t: t0 + 2 * QUARTER, kwh: 1 }, quarters(2))).toThrow(
      RangeError,
    );
    expect(() => interpolateLinear({ t: t0, kwh: 0 }, { t: t0, kwh: 1 }, [])).toThrow(RangeError);
  });
});

describe('likeDayAverage', () => {
  // 2026-11-23 is a Monday; the Mondays before it are 11-16, 11-09, 11-02 and 10-26.
  const history: HistoryDay[] = [
    { day: '2026-11-16', values: [1, '2', null], estimated: false },
    { day: '2026-11-09', values: [3, 4, null], estimated: false },
    { day: '2026-11-02', values: [100, 100, 100], estimated: true },
    { day: '2026-10-26', values: [0.5, 0.5], estimated: false },
    { day: '2026-10-19', values: [200, 200, 200], estimated: false },
    { day: '2026-11-17', values: [300, 300, 300], estimated: false },
  ];

  it('averages the same weekday of the last 4 weeks, measured days only, per slot', () => {
    // slot 0: (1 + 3 + 0.5) / 3 = 1.5; slot 1: (2 + 4 + 0.5) / 3 = 2.1666…; slot 2: no measured value.
    expect(likeDayAverage(history, '2026-11-23')).toEqual(['1.5000', '2.1667', null]);
  });

  it('looks back as many weeks as configured', () => {
    expect(likeDayAverage(history, '2026-11-23', { ...defaultEstimationParams, likeDayWeeks: 1 })).toEqual([
      '1.0000',
      '2.0000',
      null,
    ]);
  });

  it('returns null when no usable day exists', () => {
    expect(
      likeDayAverage(
        history.filter((entry) => entry.estimated),
        '2026-11-23',
      ),
    ).toBeNull();
    // 2026-11-25 is a Wednesday, of which the history has none.
    expect(likeDayAverage(history, '2026-11-25')).toBeNull();
  });
});

describe('estimateGaps', () => {
  // 2026-11-22 (a Sunday) in Europe/Amsterdam: 96 quarter hours from 2026-11-21T23:00Z, slot i = index i.
  const dayStart = at('2026-11-21T23:00:00Z');
  const start = (index: number) => dayStart + index * QUARTER;
  const sundays: HistoryDay[] = [
    { day: '2026-11-15', values: new Array<number>(96).fill(0.2), estimated: false },
    { day: '2026-11-08', values: new Array<number>(96).fill(0.3), estimated: false },
  ];
  const measuredExcept = (missing: Set<number>, value: (index: number) => number) =>
    Array.from({ length: 96 }, (_, i) => i)
      .filter((i) => !missing.has(i))
      .map((i) => ({ intervalStartMs: start(i), kwh: value(i) }));

  it('interpolates short gaps and uses like-day averages for long ones and open edges', () => {
    const missing = new Set([3, 4, 5, ...Array.from({ length: 12 }, (_, i) => 40 + i), 95]);
    const readings = measuredExcept(missing, (i) => (i === 2 ? 0.2 : i === 6 ? 0.6 : 0.1));
    const estimates = estimateGaps({
      day: '2026-11-22',
      timeZone: 'Europe/Amsterdam',
      intervalMinutes: 15,
      readings,
      history: sundays,
    });
    expect(estimates).toEqual([
      { intervalStartMs: start(3), kwh: '0.3000', method: 'linear_interpolation' },
      { intervalStartMs: start(4), kwh: '0.4000', method: 'linear_interpolation' },
      { intervalStartMs: start(5), kwh: '0.5000', method: 'linear_interpolation' },
      ...Array.from({ length: 12 }, (_, i) => ({
        intervalStartMs: start(40 + i),
        kwh: '0.2500',
        method: 'like_day',
      })),
      { intervalStartMs: start(95), kwh: '0.2500', method: 'like_day' },
    ]);
  });

  it('interpolates a gap of exactly 2 hours and not one interval more', () => {
    const input = (gap: number) => ({
      day: '2026-11-22',
      timeZone: 'Europe/Amsterdam',
      intervalMinutes: 15,
      readings: measuredExcept(new Set(Array.from({ length: gap }, (_, i) => 10 + i)), () => 0.1),
      history: sundays,
    });
    expect(new Set(estimateGaps(input(8)).map((estimate) => estimate.method))).toEqual(
      new Set(['linear_interpolation']),
    );
    expect(new Set(estimateGaps(input(9)).map((estimate) => estimate.method))).toEqual(new Set(['like_day']));
  });

  it('uses a neighbour from the previous day for a gap at local midnight', () => {
    const readings = [
      { intervalStartMs: start(-1), kwh: '0.1000' },
      ...measuredExcept(new Set([0, 1]), (i) => (i === 2 ? 0.4 : 0.1)),
    ];
    expect(
      estimateGaps({
        day: '2026-11-22',
        timeZone: 'Europe/Amsterdam',
        intervalMinutes: 15,
        readings,
        history: [],
      }),
    ).toEqual([
      { intervalStartMs: start(0), kwh: '0.2000', method: 'linear_interpolation' },
      { intervalStartMs: start(1), kwh: '0.3000', method: 'linear_interpolation' },
    ]);
  });

  it('leaves intervals out when no method applies', () => {
    const readings = measuredExcept(new Set([95]), () => 0.1);
    expect(
      estimateGaps({
        day: '2026-11-22',
        timeZone: 'Europe/Amsterdam',
        intervalMinutes: 15,
        readings,
        history: [],
      }),
    ).toEqual([]);
  });

  it('maps like-day slots by wall-clock time on a spring-forward day', () => {
    // 2026-03-29 has no 02:00–03:00; its 9th interval (index 8) starts at 03:00 local, slot 12.
    const springStart = at('2026-03-28T23:00:00Z');
    const readings = Array.from({ length: 92 }, (_, i) => i)
      .filter((i) => i < 6 || i > 16)
      .map((i) => ({ intervalStartMs: springStart + i * QUARTER, kwh: 0.1 }));
    const values = Array.from({ length: 96 }, (_, slot) => slot / 1000);
    const estimates = estimateGaps({
      day: '2026-03-29',
      timeZone: 'Europe/Amsterdam',
      intervalMinutes: 15,
      readings,
      history: [{ day: '2026-03-22', values, estimated: false }],
    });
    expect(estimates.map((estimate) => estimate.kwh)).toEqual([
      '0.0060',
      '0.0070',
      '0.0120',
      '0.0130',
      '0.0140',
      '0.0150',
      '0.0160',
      '0.0170',
      '0.0180',
      '0.0190',
      '0.0200',
    ]);
    expect(estimates[2]?.intervalStartMs).toBe(at('2026-03-29T01:00:00Z'));
  });
});
