import { describe, expect, it } from 'vitest';
import { decodeReadingMessage } from '../src/contract';
import {
  defaultVeeParams,
  resolveVeeParams,
  validateMessage,
  veeRules,
  type MeterInfo,
  type ValidationContext,
} from '../src/vee';

const at = (iso: string) => Date.parse(iso);

const meter: MeterInfo = {
  id: 'MTR-000042',
  intervalMinutes: 15,
  timeZone: 'Europe/Amsterdam',
  maxKwhPerInterval: 10,
  status: 'active',
  installedAtMs: at('2026-01-01T00:00:00Z'),
  removedAtMs: null,
};
const nowMs = at('2026-11-22T12:00:00Z');

type Item = { intervalStart: string; kwh: unknown };

function validate(readings: Item[], context: Partial<ValidationContext> = {}) {
  const decoded = decodeReadingMessage(JSON.stringify({ meterId: 'MTR-000042', readings }), 'MTR-000042');
  if (!decoded.ok) throw new Error(decoded.detail);
  return validateMessage(decoded.message, { nowMs, params: defaultVeeParams, meter, ...context });
}

/** The one rule an item was rejected with, or 'accepted'. */
function outcome(item: Item, context: Partial<ValidationContext> = {}): string {
  const result = validate([item], context);
  return result.rejected[0]?.rule ?? (result.accepted.length === 1 ? 'accepted' : 'lost');
}

const good: Item = { intervalStart: '2026-11-22T10:00:00Z', kwh: 0.25 };

describe('accepted readings', () => {
  it('carries meter, interval start and exact kWh text', () => {
    expect(validate([good, { intervalStart: '2026-11-22T11:15:00+01:00', kwh: 1 }])).toEqual({
      accepted: [
        {
          itemIndex: 0,
          meterId: 'MTR-000042',
          intervalStartMs: at('2026-11-22T10:00:00Z'),
          kwh: '0.2500',
          flags: [],
        },
        {
          itemIndex: 1,
          meterId: 'MTR-000042',
          intervalStartMs: at('2026-11-22T10:15:00Z'),
          kwh: '1.0000',
          flags: [],
        },
      ],
      rejected: [],
    });
  });
});

describe('decode-stage rules reach the rejected list in item order', () => {
  it('merges item errors with rule rejections by item index', () => {
    const result = validate([
      { intervalStart: '2026-11-22T10:00:00', kwh: 0.1 },
      { intervalStart: '2026-11-22T10:15:00Z', kwh: -1 },
      { intervalStart: '2026-11-22T10:30:00Z', kwh: '0.3' },
      { intervalStart: '2026-11-22T10:45:00Z', kwh: 0.12345 },
      good,
    ]);
    expect(result.rejected.map((rejection) => [rejection.itemIndex, rejection.rule])).toEqual([
      [0, 'unparseable_timestamp'],
      [1, 'negative_value'],
      [2, 'not_a_number'],
      [3, 'precision'],
    ]);
    expect(result.accepted.map((reading) => reading.itemIndex)).toEqual([4]);
  });

  it('passes a well-formed item and flags each decode rule', () => {
    expect(outcome(good)).toBe('accepted');
    expect(outcome({ intervalStart: '22/11/2026 10:00', kwh: 0.1 })).toBe('unparseable_timestamp');
    expect(outcome({ intervalStart: good.intervalStart, kwh: null })).toBe('not_a_number');
    expect(outcome({ intervalStart: good.intervalStart, kwh: 0.00001 })).toBe('precision');
  });
});

describe('unknown_meter', () => {
  it('passes a registered meter and rejects every reading of an unregistered one', () => {
    expect(outcome(good)).toBe('accepted');
    const result = validate([good, { ...good, intervalStart: '2026-11-22T10:15:00Z' }], { meter: undefined });
    expect(result.accepted).toEqual([]);
    expect(result.rejected).toEqual([
      {
        itemIndex: 0,
        rule: 'unknown_meter',
        detail: 'meter "MTR-000042" is not registered',
        intervalStart: '2026-11-22T10:00:00Z',
        intervalStartMs: at('2026-11-22T10:00:00Z'),
      },
      {
        itemIndex: 1,
        rule: 'unknown_meter',
        detail: 'meter "MTR-000042" is not registered',
        intervalStart: '2026-11-22T10:15:00Z',
        intervalStartMs: at('2026-11-22T10:15:00Z'),
      },
    ]);
  });
});

describe('inactive_meter', () => {
  it('rejects every reading of an inactive meter', () => {
    expect(validate([good], { meter: { ...meter, status: 'inactive' } }).rejected[0]).toMatchObject({
      rule: 'inactive_meter',
      detail: 'meter "MTR-000042" is inactive',
    });
  });

  it('accepts readings before the removal and rejects those from it on', () => {
    const removed: MeterInfo = { ...meter, status: 'removed', removedAtMs: at('2026-11-22T10:00:00Z') };
    expect(outcome({ intervalStart: '2026-11-22T09:45:00Z', kwh: 0.1 }, { meter: removed })).toBe('accepted');
    expect(validate([good], { meter: removed }).rejected[0]).toMatchObject({
      rule: 'inactive_meter',
      detail: "interval 2026-11-22T10:00:00Z starts at or after the meter's removal at 2026-11-22T10:00:00Z",
    });
  });

  it('rejects every reading of a removed meter without removal time', () => {
    expect(validate([good], { meter: { ...meter, status: 'removed' } }).rejected[0]).toMatchObject({
      rule: 'inactive_meter',
      detail: 'meter "MTR-000042" is removed',
    });
  });
});

describe('before_installation', () => {
  const installed: MeterInfo = { ...meter, installedAtMs: at('2026-11-22T10:07:00Z') };

  it('accepts the interval during which the meter was installed', () => {
    expect(outcome({ intervalStart: '2026-11-22T10:00:00Z', kwh: 0.1 }, { meter: installed })).toBe(
      'accepted',
    );
  });

  it('rejects intervals that end by the installation', () => {
    expect(
      validate([{ intervalStart: '2026-11-22T09:45:00Z', kwh: 0.1 }], { meter: installed }).rejected[0],
    ).toMatchObject({
      rule: 'before_installation',
      detail:
        "interval 2026-11-22T09:45:00Z ends at 2026-11-22T10:00:00Z, not after the meter's installation at 2026-11-22T10:07:00Z",
    });
  });
});

describe('misaligned_interval', () => {
  it('rejects a start off the 15-minute grid', () => {
    expect(validate([{ intervalStart: '2026-11-22T10:07:00Z', kwh: 0.1 }]).rejected[0]).toMatchObject({
      rule: 'misaligned_interval',
      detail: "2026-11-22T10:07:00Z is not on the meter's 15-minute grid in Europe/Amsterdam",
    });
  });

  it('judges alignment in the meter local time', () => {
    const kathmandu: MeterInfo = { ...meter, intervalMinutes: 30, timeZone: 'Asia/Kathmandu' };
    expect(outcome({ intervalStart: '2026-11-22T10:15:00Z', kwh: 0.1 }, { meter: kathmandu })).toBe(
      'accepted',
    );
    expect(outcome({ intervalStart: '2026-11-22T16:00:00+05:45', kwh: 0.1 }, { meter: kathmandu })).toBe(
      'accepted',
    );
    expect(outcome({ intervalStart: '2026-11-22T10:00:00Z', kwh: 0.1 }, { meter: kathmandu })).toBe(
      'misaligned_interval',
    );
  });
});

describe('future_interval', () => {
  it('accepts an interval ending within the tolerance', () => {
    expect(outcome({ intervalStart: '2026-11-22T12:00:00Z', kwh: 0.1 })).toBe('accepted');
  });

  it('rejects an interval ending later than now + tolerance', () => {
    expect(validate([{ intervalStart: '2026-11-22T12:15:00Z', kwh: 0.1 }]).rejected[0]).toMatchObject({
      rule: 'future_interval',
      detail:
        'interval 2026-11-22T12:15:00Z ends at 2026-11-22T12:30:00Z, after now + 15 min (2026-11-22T12:15:00Z)',
    });
  });

  it('takes the tolerance from the parameters', () => {
    const params = resolveVeeParams({ futureToleranceMinutes: 30 });
    expect(outcome({ intervalStart: '2026-11-22T12:15:00Z', kwh: 0.1 }, { params })).toBe('accepted');
  });
});

describe('negative_value', () => {
  it('accepts zero and rejects below zero', () => {
    expect(outcome({ intervalStart: good.intervalStart, kwh: 0 })).toBe('accepted');
    expect(validate([{ intervalStart: good.intervalStart, kwh: -0.5 }]).rejected[0]).toMatchObject({
      rule: 'negative_value',
      detail: 'kwh -0.5 is negative',
    });
  });
});

describe('above_physical_max', () => {
  it('accepts the maximum itself and rejects anything above', () => {
    expect(outcome({ intervalStart: good.intervalStart, kwh: 10 })).toBe('accepted');
    expect(validate([{ intervalStart: good.intervalStart, kwh: 12.5 }]).rejected[0]).toMatchObject({
      rule: 'above_physical_max',
      detail: "kwh 12.5 exceeds the meter's maximum of 10 kWh per interval",
    });
    expect(outcome({ intervalStart: good.intervalStart, kwh: 10.0001 })).toBe('above_physical_max');
  });
});

describe('duplicate_interval', () => {
  it('keeps the first item of an interval and rejects later ones, whatever their offset', () => {
    const result = validate([
      { intervalStart: '2026-11-22T10:00:00Z', kwh: 0.1 },
      { intervalStart: '2026-11-22T10:15:00Z', kwh: 0.2 },
      { intervalStart: '2026-11-22T11:00:00+01:00', kwh: 0.3 },
    ]);
    expect(result.accepted.map((reading) => reading.kwh)).toEqual(['0.1000', '0.2000']);
    expect(result.rejected).toEqual([
      {
        itemIndex: 2,
        rule: 'duplicate_interval',
        detail: 'interval 2026-11-22T10:00:00Z is already given by readings[0]',
        intervalStart: '2026-11-22T11:00:00+01:00',
        intervalStartMs: at('2026-11-22T10:00:00Z'),
      },
    ]);
  });

  it('does not count a rejected item as the first of its interval', () => {
    const result = validate([
      { intervalStart: '2026-11-22T10:00:00Z', kwh: -1 },
      { intervalStart: '2026-11-22T10:00:00Z', kwh: 0.1 },
    ]);
    expect(result.rejected.map((rejection) => rejection.rule)).toEqual(['negative_value']);
    expect(result.accepted.map((reading) => reading.itemIndex)).toEqual([1]);
  });
});

describe('archived_month', () => {
  const archivedMonths = new Set(['2026-10']);

  it('refuses an interval in a month archived and dropped from Postgres', () => {
    const result = validate([{ intervalStart: '2026-10-31T22:45:00Z', kwh: 0.25 }], { archivedMonths });
    expect(result.rejected).toEqual([
      {
        itemIndex: 0,
        rule: 'archived_month',
        detail:
          'interval 2026-10-31T22:45:00Z falls in 2026-10, which is archived and dropped from Postgres; restore the month (npm run archive -- restore 2026-10) and redrive this reading',
        intervalStart: '2026-10-31T22:45:00Z',
        intervalStartMs: at('2026-10-31T22:45:00Z'),
      },
    ]);
  });

  it('takes the UTC month of the interval start, not the meter’s local month', () => {
    // 00:00 on 1 November in Amsterdam is still October in UTC; 23:00Z on 31 October is November there.
    expect(outcome({ intervalStart: '2026-10-31T23:00:00Z', kwh: 0.25 }, { archivedMonths })).toBe(
      'archived_month',
    );
    expect(outcome({ intervalStart: '2026-11-01T00:00:00Z', kwh: 0.25 }, { archivedMonths })).toBe(
      'accepted',
    );
  });

  it('passes every month when none is archived', () => {
    expect(outcome({ intervalStart: '2026-10-15T10:00:00Z', kwh: 0.25 }, { archivedMonths: new Set() })).toBe(
      'accepted',
    );
  });
});

describe('rule order', () => {
  it('rejects with the first failing rule of the catalogue', () => {
    expect(outcome({ intervalStart: '2026-11-22T12:37:00Z', kwh: -1 })).toBe('misaligned_interval');
    expect(outcome({ intervalStart: '2026-11-22T12:30:00Z', kwh: 99 })).toBe('future_interval');
    expect(
      outcome({ intervalStart: '2026-11-22T10:07:00Z', kwh: 1 }, { meter: { ...meter, status: 'inactive' } }),
    ).toBe('inactive_meter');
  });
});

describe('rule catalogue and parameters', () => {
  it('lists every rule once, hard rules in evaluation order', () => {
    expect(veeRules.map((rule) => `${rule.severity}:${rule.name}`)).toEqual([
      'hard:empty_message',
      'hard:malformed_json',
      'hard:schema',
      'hard:key_mismatch',
      'hard:malformed_reading',
      'hard:unparseable_timestamp',
      'hard:not_a_number',
      'hard:precision',
      'hard:unknown_meter',
      'hard:inactive_meter',
      'hard:before_installation',
      'hard:misaligned_interval',
      'hard:future_interval',
      'hard:archived_month',
      'hard:negative_value',
      'hard:above_physical_max',
      'hard:duplicate_interval',
      'soft:spike',
      'soft:high_vs_history',
      'soft:low_vs_history',
      'soft:zero_on_active',
    ]);
  });

  it('names only parameters that exist, and every parameter is used by a rule', () => {
    const used = new Set(veeRules.flatMap((rule) => rule.params));
    expect([...used].sort()).toEqual(Object.keys(defaultVeeParams).sort());
  });

  it('validates overrides', () => {
    expect(resolveVeeParams({ spikeRatio: 20 })).toEqual({ ...defaultVeeParams, spikeRatio: 20 });
    expect(() => resolveVeeParams({ spikeRatio: 0.5 })).toThrow(/spikeRatio/);
    expect(() => resolveVeeParams({ minHistorySamples: 1.5 })).toThrow(/minHistorySamples/);
  });
});
