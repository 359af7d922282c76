/**
 * Inputs of the registry (meters, customers, tariffs, billing periods), shared by the procedures and the
 * forms so both refuse the same things with the same words. Safe for client components.
 */
import { z } from 'zod';
import { registeredMeterIdSchema } from '@meterops/domain/contract';
import { customerIdSchema } from './user-params';

export const segments = ['residential', 'commercial'] as const;
export const tariffKinds = ['flat', 'time_of_use'] as const;
export const REGISTRY_PAGE_SIZE = 50;

/** True when the runtime's time zone database knows `zone` (the same ICU data Node and browsers use). */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const tariffIdSchema = z
  .string()
  .trim()
  .min(1, 'Enter the tariff id')
  .max(64, 'At most 64 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'Letters, digits and . _ : - only');
/** A region is a dimension key of usage and settlement: lower-case words joined by hyphens. */
const regionSchema = z
  .string()
  .trim()
  .min(1, 'Enter the region')
  .max(64, 'At most 64 characters')
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'Lower-case letters and digits joined by hyphens, e.g. north-west');
const timeZoneSchema = z
  .string()
  .trim()
  .min(1, 'Enter an IANA time zone')
  .refine(isTimeZone, 'Not an IANA time zone, e.g. Europe/London');
const daySchema = z.iso.date('A day as YYYY-MM-DD');

/** A decimal with at most `scale` decimals, above zero (or at zero when `allowZero`) and under `max`. */
const decimal = (label: string, scale: number, max: number, allowZero = false) =>
  z
    .number({ error: `Enter ${label} as a number` })
    .refine((value) => Number.isFinite(value), `Enter ${label} as a number`)
    .refine((value) => (allowZero ? value >= 0 : value > 0), allowZero ? 'Zero or more' : 'Above zero')
    .refine((value) => value < max, `Below ${max}`)
    .refine(
      (value) => Number.isInteger(Math.round(value * 10 ** scale * 1e6) / 1e6),
      `At most ${scale} decimals`,
    );

export const listInputSchema = z.object({
  search: z.string().trim().max(100, 'At most 100 characters').default(''),
  /** The id of the last row of the previous page (keyset pagination). */
  cursor: z.string().max(64).nullish(),
});

export const customerFieldsSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200, 'At most 200 characters'),
  email: z.union([z.email('Enter an email address').trim().toLowerCase().max(254), z.literal('')]).nullish(),
  region: regionSchema,
  segment: z.enum(segments),
});
export const customerSchema = customerFieldsSchema.extend({ id: customerIdSchema });

const tariffWindowSchema = z
  .object({
    name: z.string().trim().min(1, 'Name the window').max(40, 'At most 40 characters'),
    fromHour: z.number().int('Whole hours').min(0, '0 to 23').max(23, '0 to 23'),
    toHour: z.number().int('Whole hours').min(1, '1 to 24').max(24, '1 to 24'),
    weekdays: z
      .array(z.number().int().min(1).max(7))
      .min(1, 'Pick at least one weekday')
      .refine((days) => new Set(days).size === days.length, 'Each weekday once'),
    pricePerKwh: decimal('the price', 5, 100_000, true),
  })
  .refine((window) => window.toHour > window.fromHour, {
    path: ['toHour'],
    message: 'The window must end after it starts',
  });

export const tariffFieldsSchema = z.object({
  id: tariffIdSchema,
  name: z.string().trim().min(1, 'Enter a name').max(200, 'At most 200 characters'),
  kind: z.enum(tariffKinds),
  basePricePerKwh: decimal('the price', 5, 100_000, true),
  windows: z.array(tariffWindowSchema).max(24, 'At most 24 windows').default([]),
});

/** What a tariff must satisfy beyond its fields' types: windows agree with the kind and do not overlap. */
export function checkTariffWindows(
  tariff: { kind: (typeof tariffKinds)[number]; windows: z.output<typeof tariffWindowSchema>[] },
  ctx: z.RefinementCtx,
): void {
  if (tariff.kind === 'flat' && tariff.windows.length > 0) {
    ctx.addIssue({ code: 'custom', path: ['windows'], message: 'A flat tariff has no time-of-use windows' });
  }
  if (tariff.kind === 'time_of_use' && tariff.windows.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['windows'],
      message: 'A time-of-use tariff needs at least one window',
    });
  }
  // Two windows covering the same hour of the same weekday would make the price of that hour ambiguous.
  tariff.windows.forEach((window, index) => {
    const clash = tariff.windows.findIndex(
      (other, otherIndex) =>
        otherIndex < index &&
        other.weekdays.some((day) => window.weekdays.includes(day)) &&
        other.fromHour < window.toHour &&
        window.fromHour < other.toHour,
    );
    if (clash !== -1) {
      ctx.addIssue({
        code: 'custom',
        path: ['windows'],
        message: `Window ${index + 1} overlaps window ${clash + 1} on a shared weekday`,
      });
    }
  });
}

export const tariffSchema = tariffFieldsSchema.superRefine(checkTariffWindows);

export const meterFieldsSchema = z.object({
  customerId: customerIdSchema,
  region: regionSchema,
  segment: z.enum(segments),
  tariffId: tariffIdSchema,
  intervalMinutes: z.union([z.literal(15), z.literal(30)], { error: '15 or 30 minutes' }),
  timeZone: timeZoneSchema,
  multiplier: decimal('the multiplier', 3, 10_000_000),
  /** Left out for the breaker-limit default of the segment and interval (see the fleet). */
  maxKwhPerInterval: decimal('the maximum', 4, 100_000_000).nullish(),
  installedAt: z.date({ error: 'Enter when the meter was installed' }),
});
export const meterSchema = meterFieldsSchema.extend({ id: registeredMeterIdSchema });
export const deactivateMeterSchema = z.object({
  id: registeredMeterIdSchema,
  /** inactive: not expected to report for now; removed: taken off the premises at removedAt. */
  status: z.enum(['inactive', 'removed']),
  removedAt: z.date().nullish(),
});

export const billingPeriodFieldsSchema = z.object({
  customerId: customerIdSchema,
  /** Null or empty for a customer-level period covering all the customer's meters. */
  meterId: z.union([registeredMeterIdSchema, z.literal('')]).nullish(),
  periodStart: daySchema,
  periodEnd: daySchema,
});
export const periodRange = {
  check: (period: { periodStart: string; periodEnd: string }) => period.periodEnd >= period.periodStart,
  // periodEnd is the last day, inclusive: a one-day period starts and ends on the same day.
  params: { path: ['periodEnd'], message: 'The last day must be on or after the first day' },
};
export const createBillingPeriodSchema = billingPeriodFieldsSchema.refine(
  periodRange.check,
  periodRange.params,
);
export const updateBillingPeriodSchema = billingPeriodFieldsSchema
  .extend({ id: z.number().int().positive() })
  .refine(periodRange.check, periodRange.params);
