import { describe, expect, it } from 'vitest';
import { usagePeriod } from '@meterops/db/queries/usage';
import { parseMeterList } from '../src/lib/job-params';
import { createUserSchema } from '../src/lib/user-params';
import { localIso, usageCsv } from '../src/server/usage/csv';
import { othersThan, percentileRank, quantile } from '../src/server/usage/peers';
import type { UsageReport } from '../src/server/usage/report';

describe('usagePeriod', () => {
  it('takes the ISO week from Monday to Sunday', () => {
    expect(usagePeriod('week', '2026-11-20')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(usagePeriod('week', '2026-11-16')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(usagePeriod('week', '2026-11-22')).toEqual({ from: '2026-11-16', to: '2026-11-22' });
    expect(usagePeriod('week', '2027-01-01')).toEqual({ from: '2026-12-28', to: '2027-01-03' });
  });

  it('takes calendar months, February of a leap year included, and calendar years', () => {
    expect(usagePeriod('month', '2028-02-10')).toEqual({ from: '2028-02-01', to: '2028-02-29' });
    expect(usagePeriod('month', '2026-12-31')).toEqual({ from: '2026-12-01', to: '2026-12-31' });
    expect(usagePeriod('year', '2026-06-15')).toEqual({ from: '2026-01-01', to: '2026-12-31' });
    expect(usagePeriod('day', '2026-03-29')).toEqual({ from: '2026-03-29', to: '2026-03-29' });
  });
});

describe('comparison with similar homes', () => {
  const peers = Float64Array.from([1, 2, 2, 3, 4]);

  it('ranks a home among its peers, ties counted as half', () => {
    expect(percentileRank(peers, 0.5)).toBe(0);
    expect(percentileRank(peers, 2)).toBe(40);
    expect(percentileRank(peers, 4)).toBe(90);
    expect(percentileRank(peers, 9)).toBe(100);
    expect(percentileRank(new Float64Array(), 1)).toBeNull();
  });

  it('leaves out one occurrence of the home itself from its peers', () => {
    expect([...othersThan(peers, 2)]).toEqual([1, 2, 3, 4]);
    expect([...othersThan(peers, 4)]).toEqual([1, 2, 2, 3]);
    expect([...othersThan(peers, 7)]).toEqual([1, 2, 2, 3, 4]);
  });

  it('interpolates quartiles like percentile_cont', () => {
    expect(quantile(peers, 0.5)).toBe(2);
    expect(quantile(peers, 0.25)).toBe(2);
    expect(quantile(Float64Array.from([1, 2]), 0.5)).toBe(1.5);
    expect(quantile(new Float64Array(), 0.5)).toBeNull();
  });
});

describe('CSV of a day', () => {
  it('writes UTC and local times with the offset of the day, CRLF, and marks missing intervals', () => {
    expect(localIso(new Date('2026-07-01T10:30:00Z'), 'Europe/London')).toBe('2026-07-01T11:30:00+01:00');
    expect(localIso(new Date('2026-01-01T10:30:00Z'), 'Europe/Amsterdam')).toBe('2026-01-01T11:30:00+01:00');
    const report = {
      kind: 'intervals',
      meter: {
        id: 'MTR-1',
        region: 'london',
        segment: 'residential',
        tariffName: 'Flat',
        intervalMinutes: 30,
        timeZone: 'Europe/London',
        status: 'active',
      },
      view: 'day',
      day: '2026-07-01',
      from: '2026-07-01',
      to: '2026-07-01',
      previousDay: '2026-06-30',
      nextDay: '2026-07-02',
      archivedMonths: [],
      totals: {
        kwh: '0.5',
        status: 'final',
        days: 1,
        finalDays: 1,
        expected: 2,
        estimated: 1,
        edited: 0,
        missing: 0,
        provisionalAsOf: null,
        finalAsOf: new Date(),
      },
      intervals: [
        {
          intervalStart: new Date('2026-06-30T23:00:00Z'),
          kwh: '0.2500',
          quality: 'estimated',
          estimationMethod: 'like_day',
        },
        { intervalStart: new Date('2026-06-30T23:30:00Z'), kwh: null, quality: null, estimationMethod: null },
      ],
    } satisfies UsageReport;
    expect(usageCsv(report)).toBe(
      'interval_start_utc,interval_start_local,kwh,quality,estimation_method,day_status\r\n' +
        '2026-06-30T23:00:00.000Z,2026-07-01T00:00:00+01:00,0.2500,estimated,like_day,final\r\n' +
        '2026-06-30T23:30:00.000Z,2026-07-01T00:30:00+01:00,,missing,,final\r\n',
    );
  });
});

describe('form inputs', () => {
  it('reads meter ids separated by commas, spaces and new lines, once each', () => {
    expect(parseMeterList(' MTR-1, MTR-2\nMTR-3;MTR-1 ')).toEqual(['MTR-1', 'MTR-2', 'MTR-3']);
    expect(parseMeterList('')).toEqual([]);
  });

  it('binds customer accounts, and only them, to a customer', () => {
    const base = { email: 'A@Example.test', name: 'Someone', password: 'twelve chars ok' };
    expect(createUserSchema.safeParse({ ...base, role: 'customer' }).error?.issues[0]?.path).toEqual([
      'customerId',
    ]);
    expect(
      createUserSchema.safeParse({ ...base, role: 'agent', customerId: 'CUS-1' }).error?.issues[0]?.path,
    ).toEqual(['customerId']);
    expect(createUserSchema.parse({ ...base, role: 'customer', customerId: 'CUS-1' }).email).toBe(
      'a@example.test',
    );
  });
});
