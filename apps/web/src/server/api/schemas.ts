/**
 * Schemas of the REST API's requests and responses: they validate requests and are the OpenAPI
 * document's components, so the document cannot drift from what the server does. Registry inputs reuse
 * the portal's schemas (../../lib/registry-params.ts), so both refuse the same things with the same words.
 *
 * `.openapi()` exists only on schemas made after @hono/zod-openapi extended zod; a schema another module
 * made earlier (the portal's, the contract's) is copied first (`.describe`, `.extend`, `.refine` make new
 * ones), since which module Next or tsx evaluates first is not ours to decide.
 */
import { z } from '@hono/zod-openapi';
import { registeredMeterIdSchema } from '@meterops/domain/contract';
import {
  billingPeriodFieldsSchema,
  checkTariffWindows,
  customerFieldsSchema,
  meterFieldsSchema,
  periodRange,
  tariffFieldsSchema,
} from '../../lib/registry-params';
import { customerIdSchema } from '../../lib/user-params';
import { problemTitles } from './problem';

export const instant = z.iso
  .datetime({ offset: true })
  .openapi({ description: 'RFC 3339 instant with Z or an offset', example: '2026-11-22T00:15:00Z' });
export const day = z.iso
  .date()
  .openapi({ description: 'Local calendar day, YYYY-MM-DD', example: '2026-11-22' });
export const month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'A month as YYYY-MM')
  .openapi({ example: '2026-11' });
const kwh = z
  .string()
  .regex(/^-?\d+(\.\d+)?$/)
  .openapi({ description: 'kWh as an exact decimal string', example: '0.1234' });
const quality = z.enum(['actual', 'estimated', 'edited']);
const aggregateStatus = z.enum(['provisional', 'final']);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.enum(Object.values(problemTitles) as [string, ...string[]]),
    status: z.number().int(),
    detail: z.string(),
    errors: z
      .array(
        z.object({
          in: z.enum(['query', 'path', 'body', 'header']),
          path: z.string().openapi({ description: 'Parameter name, or a JSON Pointer into the body' }),
          message: z.string(),
        }),
      )
      .optional(),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details' });

export const pageQuery = z.object({
  cursor: z.string().max(200).optional().openapi({ description: 'nextCursor of the previous page' }),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const searchPageQuery = pageQuery.extend({ search: z.string().trim().max(100).default('') });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

// ---------------------------------------------------------------------------------------------------
// Registry

export const meterIdParam = z.object({
  meterId: registeredMeterIdSchema.describe('Meter id').openapi({ param: { name: 'meterId', in: 'path' } }),
});
export const customerIdParam = z.object({
  customerId: customerIdSchema.describe('Customer id').openapi({ param: { name: 'customerId', in: 'path' } }),
});
export const tariffIdParam = z.object({
  tariffId: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: 'tariffId', in: 'path' } }),
});
export const periodIdParam = z.object({
  periodId: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'periodId', in: 'path' }, type: 'integer' }),
});

export const meterSchema = z
  .object({
    id: z.string(),
    customerId: z.string(),
    region: z.string(),
    segment: z.enum(['residential', 'commercial']),
    tariffId: z.string(),
    intervalMinutes: z.union([z.literal(15), z.literal(30)]),
    timeZone: z.string(),
    multiplier: z.number(),
    maxKwhPerInterval: z.number(),
    status: z.enum(['active', 'inactive', 'removed']),
    installedAt: instant,
    removedAt: instant.nullable(),
  })
  .openapi('Meter');

const meterWriteFields = meterFieldsSchema.extend({ installedAt: instant });
export const meterCreateBody = meterWriteFields
  .extend({ id: registeredMeterIdSchema })
  .openapi('MeterCreate');
export const meterUpdateBody = meterWriteFields.openapi('MeterUpdate');
export const meterDeactivateBody = z
  .object({ status: z.enum(['inactive', 'removed']), removedAt: instant.nullish() })
  .openapi('MeterDeactivate');

export const customerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    email: z.string().nullable(),
    region: z.string(),
    segment: z.enum(['residential', 'commercial']),
    createdAt: instant,
    deactivatedAt: instant.nullable(),
    activeMeters: z.number().int(),
  })
  .openapi('Customer');
export const customerCreateBody = customerFieldsSchema
  .extend({ id: customerIdSchema })
  .openapi('CustomerCreate');
export const customerUpdateBody = customerFieldsSchema.extend({}).openapi('CustomerUpdate');

const tariffWindow = z.object({
  name: z.string(),
  fromHour: z.number().int(),
  toHour: z.number().int(),
  weekdays: z.array(z.number().int()),
  pricePerKwh: z.number(),
});
export const tariffSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['flat', 'time_of_use']),
    basePricePerKwh: z.number(),
    windows: z.array(tariffWindow),
    deactivatedAt: instant.nullable(),
    activeMeters: z.number().int(),
  })
  .openapi('Tariff');
export const tariffCreateBody = tariffFieldsSchema.superRefine(checkTariffWindows).openapi('TariffCreate');
export const tariffUpdateBody = tariffFieldsSchema
  .omit({ id: true })
  .superRefine(checkTariffWindows)
  .openapi('TariffUpdate');

export const billingPeriodSchema = z
  .object({
    id: z.number().int(),
    customerId: z.string(),
    meterId: z.string().nullable(),
    periodStart: day,
    periodEnd: day,
    invoicedAt: instant.nullable(),
    cancelledAt: instant.nullable(),
  })
  .openapi('BillingPeriod');
export const billingPeriodBody = billingPeriodFieldsSchema
  .refine(periodRange.check, periodRange.params)
  .openapi('BillingPeriodWrite');

// ---------------------------------------------------------------------------------------------------
// Readings and usage

export const readingSchema = z
  .object({
    intervalStart: instant,
    kwh,
    quality,
    estimationMethod: z.string().nullable().openapi({ description: 'linear_interpolation, like_day, …' }),
    flags: z
      .array(z.string())
      .nullable()
      .openapi({ description: 'Soft-rule flags awaiting review; null for a value reconstructed with asOf' }),
    source: z.string(),
    version: z.number().int(),
    receivedAt: instant,
    revisedAt: instant.nullable(),
    archived: z.boolean().openapi({ description: 'Read from the Parquet archive (the month left Postgres)' }),
  })
  .openapi('Reading');

export const readingsQuery = z.object({
  from: instant,
  to: instant,
  asOf: instant.optional().openapi({ description: 'The readings as they stood at this instant' }),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

export const revisionSchema = z
  .object({
    id: z.number().int(),
    intervalStart: instant,
    oldKwh: kwh.nullable(),
    newKwh: kwh,
    oldQuality: quality.nullable(),
    newQuality: quality,
    oldVersion: z.number().int().nullable(),
    newVersion: z.number().int(),
    source: z.enum(['meter_resend', 'agent', 'estimation', 'reprocess', 'review']),
    reason: z.string(),
    actor: z.string(),
    createdAt: instant,
    archived: z.boolean(),
  })
  .openapi('Revision');

const counts = {
  expected: z.number().int(),
  actual: z.number().int(),
  estimated: z.number().int(),
  edited: z.number().int(),
};

export const dailyUsageSchema = z
  .object({
    day,
    kwh,
    status: aggregateStatus,
    ...counts,
    computedAt: instant.openapi({ description: 'When the numbers were computed: the as-of time' }),
    finalizedAt: instant.nullable(),
    finalVersion: z.number().int(),
    archived: z
      .boolean()
      .openapi({ description: 'The day’s raw readings are in the archive; the numbers are the same' }),
  })
  .openapi('DailyUsage');

export const monthlyUsageSchema = z
  .object({
    month,
    kwh,
    status: aggregateStatus.openapi({ description: 'final only when every day of the month is final' }),
    days: z.number().int(),
    finalDays: z.number().int(),
    daysInMonth: z.number().int(),
    ...counts,
    computedAt: instant,
    finalizedAt: instant.nullable(),
    archived: z.boolean(),
  })
  .openapi('MonthlyUsage');

export const meterMonthlyUsageSchema = monthlyUsageSchema
  .extend({ meterId: z.string(), customerId: z.string() })
  .openapi('MeterMonthlyUsage');

export const meterDailyUsageSchema = dailyUsageSchema
  .extend({ meterId: z.string(), customerId: z.string() })
  .openapi('MeterDailyUsage');

export const dayRangeQuery = z.object({ from: day, to: day });
export const monthRangeQuery = z.object({ from: month, to: month });

// ---------------------------------------------------------------------------------------------------
// Fleet figures

export const completenessSchema = z
  .object({
    region: z.string(),
    day,
    status: aggregateStatus,
    meters: z.number().int(),
    ...counts,
    missing: z.number().int(),
    actualByD1: z.number().int().nullable(),
    actualByD5: z.number().int().nullable(),
    actualShare: z.number().nullable(),
    actualShareByD1: z.number().nullable(),
    actualShareByD5: z.number().nullable(),
  })
  .openapi('RegionCompleteness');

export const consumptionSchema = z
  .object({
    period: z.string().openapi({ description: 'YYYY-MM-DD (day, first day of a month) or a UTC hour' }),
    key: z.string(),
    kwh,
    status: aggregateStatus,
    ...counts,
    computedAt: instant,
  })
  .openapi('Consumption');

export const settlementSchema = z
  .object({
    region: z.string(),
    periodStart: instant,
    kwh,
    status: aggregateStatus,
    ...counts,
    computedAt: instant,
  })
  .openapi('SettlementPeriod');

// ---------------------------------------------------------------------------------------------------
// Readings over HTTP

export const submissionSchema = z
  .object({
    id: z.string().uuid(),
    meterId: z.string(),
    submittedAt: instant,
    status: z.enum(['pending', 'processed']),
    items: z.array(
      z.object({
        index: z.number().int(),
        intervalStart: instant,
        outcome: z.enum(['pending', 'stored', 'rejected']),
        rule: z.string().optional().openapi({ description: 'The rejecting rule (docs/message-contract.md)' }),
        detail: z.string().optional(),
      }),
    ),
  })
  .openapi('ReadingSubmission');

export const acceptedSubmissionSchema = z
  .object({
    id: z.string().uuid(),
    status: z.literal('pending'),
    items: z.number().int(),
    location: z.string(),
  })
  .openapi('AcceptedSubmission');
