import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBillingPeriodSchema, meterSchema, tariffSchema } from '../src/lib/registry-params';

const fieldErrors = (result: { success: boolean; error?: z.ZodError }) =>
  result.error ? z.flattenError(result.error).fieldErrors : {};

const meter = {
  id: 'MTR-1',
  customerId: 'CUS-1',
  region: 'london',
  segment: 'residential',
  tariffId: 'RES-FLAT',
  intervalMinutes: 30,
  timeZone: 'Europe/London',
  multiplier: 1,
  installedAt: new Date('2024-01-01T00:00:00Z'),
};

describe('registry inputs', () => {
  it('accepts a meter id the message contract accepts, spaces and slashes included', () => {
    expect(meterSchema.safeParse({ ...meter, id: 'HE 42/7' }).success).toBe(true);
    expect(fieldErrors(meterSchema.safeParse({ ...meter, id: 'MTR\u00001' }))).toEqual({
      id: ['No control characters (tabs, line breaks, …)'],
    });
    expect(fieldErrors(meterSchema.safeParse({ ...meter, id: '' }))).toEqual({ id: ['Enter the meter id'] });
  });

  it('knows IANA zones and refuses others', () => {
    expect(meterSchema.safeParse({ ...meter, timeZone: 'America/Argentina/Buenos_Aires' }).success).toBe(
      true,
    );
    expect(fieldErrors(meterSchema.safeParse({ ...meter, timeZone: 'Europe/Atlantis' }))).toEqual({
      timeZone: ['Not an IANA time zone, e.g. Europe/London'],
    });
  });

  it('counts decimals of the numeric columns exactly', () => {
    expect(meterSchema.safeParse({ ...meter, multiplier: 0.001 }).success).toBe(true);
    expect(fieldErrors(meterSchema.safeParse({ ...meter, multiplier: 0.0015 }))).toEqual({
      multiplier: ['At most 3 decimals'],
    });
    expect(fieldErrors(meterSchema.safeParse({ ...meter, multiplier: Number.NaN }))).toEqual({
      multiplier: ['Enter the multiplier as a number'],
    });
  });

  it('refuses time-of-use windows that share an hour of a weekday, and allows them on other days', () => {
    const window = { name: 'peak', fromHour: 16, toHour: 19, weekdays: [1, 2, 3, 4, 5], pricePerKwh: 0.39 };
    const tariff = { id: 'T', name: 'T', kind: 'time_of_use', basePricePerKwh: 0.2 };
    expect(
      tariffSchema.safeParse({
        ...tariff,
        windows: [window, { ...window, name: 'weekend', weekdays: [6, 7] }],
      }).success,
    ).toBe(true);
    // [16, 19) and [19, 22) touch but do not overlap.
    expect(
      tariffSchema.safeParse({
        ...tariff,
        windows: [window, { ...window, name: 'late', fromHour: 19, toHour: 22 }],
      }).success,
    ).toBe(true);
    expect(
      fieldErrors(
        tariffSchema.safeParse({
          ...tariff,
          windows: [window, { ...window, name: 'x', fromHour: 18, weekdays: [5] }],
        }),
      ),
    ).toEqual({ windows: ['Window 2 overlaps window 1 on a shared weekday'] });
    expect(
      fieldErrors(tariffSchema.safeParse({ ...tariff, windows: [{ ...window, weekdays: [1, 1] }] })),
    ).toEqual({ windows: ['Each weekday once'] });
  });

  it('takes the last day of a billing period as inclusive', () => {
    const period = { customerId: 'CUS-1', periodStart: '2026-03-01', periodEnd: '2026-03-01' };
    expect(createBillingPeriodSchema.safeParse(period).success).toBe(true);
    expect(fieldErrors(createBillingPeriodSchema.safeParse({ ...period, periodEnd: '2026-02-28' }))).toEqual({
      periodEnd: ['The last day must be on or after the first day'],
    });
    expect(
      fieldErrors(createBillingPeriodSchema.safeParse({ ...period, periodStart: '2026-02-30' })),
    ).toEqual({
      periodStart: ['A day as YYYY-MM-DD'],
    });
  });
});
