import { describe, expect, it } from 'vitest';
import { decodeReadingMessage } from '../src/contract';
import {
  defaultVeeParams,
  evaluateSoftRules,
  intervalCompleteness,
  validateMessage,
  type Baseline,
  type MeterInfo,
  type SoftRuleReading,
} from '../src/vee';

const at = (iso: string) => Date.parse(iso);
const QUARTER = 900_000;
/** Local midnight of 2026-11-22 in Europe/Amsterdam. */
const dayStart = at('2026-11-21T23:00:00Z');

const meter: MeterInfo = {
  id: 'MTR-000042',
  intervalMinutes: 15,
  timeZone: 'Europe/Amsterdam',
  maxKwhPerInterval: 10,
  status: 'active',
  installedAtMs: at('2026-01-01T00:00:00Z'),
  removedAtMs: null,
};
const baseline: Baseline = { meanKwh: 0.1, p95Kwh: 0.4, samples: 700 };

/** Readings at consecutive quarter hours from `from` (index into the local day). */
function series(values: readonly (number | string)[], from = 0): SoftRuleReading[] {
  return values.map((kwh, i) => ({ intervalStartMs: dayStart + (from + i) * QUARTER, kwh }));
}

function flags(values: readonly number[], options: { baseline?: Baseline; meter?: MeterInfo } = {}) {
  return evaluateSoftRules(series(values), options.meter ?? meter, defaultVeeParams, options.baseline);
}

describe('spike', () => {
  it('flags the highest reading when it exceeds 10 × the third-highest and 0.5 kWh', () => {
    expect(flags([0.1, 0.2, 5, 0.3])).toEqual([[], [], ['spike'], []]);
  });

  it('passes a peak of at most 10 × the third-highest', () => {
    expect(flags([0.1, 0.2, 2, 0.3])).toEqual([[], [], [], []]);
  });

  it('passes a peak not above spikeMinKwh', () => {
    expect(flags([0, 0, 0.5, 0])).toEqual([[], [], [], []]);
  });

  it('needs at least 3 readings of one local day', () => {
    expect(flags([0.01, 5])).toEqual([[], []]);
    // One reading on the evening before local midnight, two after it: neither day has three.
    const acrossMidnight = [
      { intervalStartMs: dayStart - QUARTER, kwh: 0.01 },
      { intervalStartMs: dayStart, kwh: 5 },
      { intervalStartMs: dayStart + QUARTER, kwh: 0.01 },
    ];
    expect(evaluateSoftRules(acrossMidnight, meter, defaultVeeParams)).toEqual([[], [], []]);
  });
});

describe('high_vs_history', () => {
  it('flags above 3 × p95 and above 1 kWh', () => {
    // threshold = max(3 × 0.4, 1) = 1.2
    expect(flags([1.2, 1.3], { baseline })).toEqual([[], ['high_vs_history']]);
  });

  it('uses the kWh floor when the p95 is small', () => {
    expect(flags([0.9, 1.01], { baseline: { ...baseline, p95Kwh: 0.1 } })).toEqual([[], ['high_vs_history']]);
  });

  it('stays silent with too little history', () => {
    expect(flags([1.3], { baseline: { ...baseline, samples: 671 } })).toEqual([[]]);
    expect(flags([1.3])).toEqual([[]]);
  });
});

describe('low_vs_history', () => {
  const halfDay = (kwh: number, count = 48) => new Array<number>(count).fill(kwh);

  it('flags 12 hours of readings averaging below 10 % of the baseline mean', () => {
    const result = flags(halfDay(0.0099), { baseline });
    expect(result.every((own) => own.length === 1 && own[0] === 'low_vs_history')).toBe(true);
  });

  it('passes readings averaging at least 10 % of the mean', () => {
    expect(flags(halfDay(0.01), { baseline }).flat()).toEqual([]);
  });

  it('needs readings covering at least 12 hours', () => {
    expect(flags(halfDay(0.0001, 47), { baseline }).flat()).toEqual([]);
  });

  it('ignores meters whose normal consumption is itself tiny', () => {
    expect(flags(halfDay(0.0001), { baseline: { ...baseline, meanKwh: 0.04 } }).flat()).toEqual([]);
  });
});

describe('zero_on_active', () => {
  it('flags 4 hours of consecutive zeros on an active meter', () => {
    const result = flags([0.1, ...new Array<number>(16).fill(0), 0.1]);
    expect(result[0]).toEqual([]);
    expect(result.slice(1, 17).every((own) => own[0] === 'zero_on_active')).toBe(true);
    expect(result[17]).toEqual([]);
  });

  it('passes shorter runs', () => {
    expect(flags([0.1, ...new Array<number>(15).fill(0), 0.1]).flat()).toEqual([]);
  });

  it('only counts zeros at consecutive intervals', () => {
    const withHole = [...series(new Array<number>(8).fill(0)), ...series(new Array<number>(8).fill(0), 9)];
    expect(evaluateSoftRules(withHole, meter, defaultVeeParams).flat()).toEqual([]);
  });

  it('judges 30-minute meters by duration', () => {
    const halfHourly: MeterInfo = { ...meter, intervalMinutes: 30 };
    const eight = new Array<number>(8)
      .fill(0)
      .map((kwh, i) => ({ intervalStartMs: dayStart + i * 2 * QUARTER, kwh }));
    expect(
      evaluateSoftRules(eight, halfHourly, defaultVeeParams).every((own) => own[0] === 'zero_on_active'),
    ).toBe(true);
  });

  it('does not flag a meter that is not active', () => {
    const removed: MeterInfo = { ...meter, status: 'removed', removedAtMs: at('2026-11-23T00:00:00Z') };
    expect(flags(new Array<number>(16).fill(0), { meter: removed }).flat()).toEqual([]);
  });
});

describe('flags on accepted readings', () => {
  it('lists flags in catalogue order and accepts exact decimal text from the database', () => {
    const result = evaluateSoftRules(
      series(['0.1000', '0.2000', '5.0000', '0.3000']),
      meter,
      defaultVeeParams,
      baseline,
    );
    expect(result).toEqual([[], [], ['spike', 'high_vs_history'], []]);
  });

  it('attaches soft flags to the accepted readings of a message', () => {
    const readings = [0.1, 0.2, 5, 0.3].map((kwh, i) => ({
      intervalStart: new Date(dayStart + i * QUARTER).toISOString(),
      kwh,
    }));
    const decoded = decodeReadingMessage(JSON.stringify({ meterId: 'MTR-000042', readings }), null);
    if (!decoded.ok) throw new Error(decoded.detail);
    const result = validateMessage(decoded.message, {
      nowMs: at('2026-11-23T00:00:00Z'),
      params: defaultVeeParams,
      meter,
      baseline,
    });
    expect(result.accepted.map((reading) => reading.flags)).toEqual([
      [],
      [],
      ['spike', 'high_vs_history'],
      [],
    ]);
  });
});

describe('intervalCompleteness', () => {
  it('counts expected, present and missing intervals of a spring-forward day', () => {
    const start = at('2026-03-28T23:00:00Z');
    const present = Array.from({ length: 92 }, (_, i) => start + i * QUARTER).filter(
      (_, i) => i !== 8 && i !== 9,
    );
    expect(
      intervalCompleteness('2026-03-29', 'Europe/Amsterdam', 15, [...present, start + 7 * 60_000]),
    ).toEqual({
      expected: 92,
      present: 90,
      missing: [at('2026-03-29T01:00:00Z'), at('2026-03-29T01:15:00Z')],
      unexpected: [start + 7 * 60_000],
    });
  });
});
