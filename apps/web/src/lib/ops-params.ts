/**
 * Inputs of the operations pages, shared by the procedures (validation) and the pages (reading the URL).
 * Safe for client components: zod only.
 */
import { z } from 'zod';
import { registeredMeterIdSchema } from '@meterops/domain/contract';

export const pipelineRanges = {
  '15m': { label: '15 minutes', ms: 15 * 60_000, bucket: '15s', bucketMs: 15_000 },
  '1h': { label: '1 hour', ms: 3_600_000, bucket: '1m', bucketMs: 60_000 },
  '6h': { label: '6 hours', ms: 6 * 3_600_000, bucket: '5m', bucketMs: 5 * 60_000 },
  '24h': { label: '24 hours', ms: 24 * 3_600_000, bucket: '20m', bucketMs: 20 * 60_000 },
  // The long ranges read InfluxDB's hourly series (retention policy long_term), so they stay fast.
  '7d': { label: '7 days', ms: 7 * 24 * 3_600_000, bucket: '2h', bucketMs: 2 * 3_600_000, hourly: true },
  '90d': { label: '90 days', ms: 90 * 24 * 3_600_000, bucket: '1d', bucketMs: 24 * 3_600_000, hourly: true },
} as const;

export type PipelineRange = keyof typeof pipelineRanges;
export const pipelineRangeSchema = z.enum(Object.keys(pipelineRanges) as [PipelineRange, ...PipelineRange[]]);

const DAY_MS = 86_400_000;

/** A calendar day, `YYYY-MM-DD`, that exists. */
export const daySchema = z.iso.date({ error: 'Expected a day as YYYY-MM-DD' });

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `from` to `to`, inclusive. */
export function daysOf(from: string, to: string): string[] {
  const count = daysBetween(from, to) + 1;
  return Array.from({ length: Math.max(0, count) }, (_, index) => addDays(from, index));
}

/** An inclusive day range of at most `maxDays` days. */
export function dayRangeSchema(maxDays: number) {
  return z
    .object({ from: daySchema, to: daySchema })
    .refine(({ from, to }) => from <= to, {
      message: 'The range must not end before it starts',
      path: ['to'],
    })
    .refine(({ from, to }) => daysBetween(from, to) < maxDays, {
      message: `The range can cover at most ${maxDays} days`,
      path: ['from'],
    });
}

const usageDimensions = ['region', 'segment', 'tariff'] as const;
export const usageDimensionSchema = z.enum(usageDimensions);
export const usageGranularities = ['hour', 'day', 'month'] as const;
export const usageGranularitySchema = z.enum(usageGranularities);

/**
 * Longest range, in days, per granularity. Every dimension reads per-key aggregates (days and months the
 * daily table, region hours the settlement periods, segment and tariff hours the hourly table), so the
 * limits are about what a chart can show: 7 days of hours.
 */
export function maxUsageDays(granularity: (typeof usageGranularities)[number]): number {
  if (granularity === 'hour') return 7;
  return granularity === 'day' ? 92 : 731;
}

export const COMPLETENESS_MAX_DAYS = 92;

/**
 * Identifiers the way they are stored. A meter id is any id the registry accepts (the message contract's,
 * without control characters): the fleet's are `MTR-000042`, but an administrator may register a head-end's
 * own ids, and every page must reach those meters and their quarantined readings. Rules are snake_case.
 */
export const meterIdSchema = registeredMeterIdSchema;
export const regionSchema = z.string().trim().min(1).max(64);
export const ruleSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9_]+$/, 'A rule name such as negative_value');

export const REJECTS_PAGE_SIZES = [25, 50, 100] as const;
export const GAPS_PAGE_SIZE = 20;

/**
 * Every period of a granularity in an inclusive day range, as `usageByDimension` names them: UTC hours
 * `YYYY-MM-DDTHH:00:00Z`, days `YYYY-MM-DD`, months by their first day.
 */
export function periodsOf(
  granularity: (typeof usageGranularities)[number],
  from: string,
  to: string,
): string[] {
  const days = daysOf(from, to);
  if (granularity === 'day') return days;
  if (granularity === 'hour') {
    return days.flatMap((day) =>
      Array.from({ length: 24 }, (_, hour) => `${day}T${String(hour).padStart(2, '0')}:00:00Z`),
    );
  }
  return [...new Set(days.map((day) => `${day.slice(0, 7)}-01`))];
}

/** What became of a reject: still in quarantine, sent through ingest again, or set aside with a reason. */
export const REJECT_RESOLUTIONS = ['open', 'redriven', 'dismissed'] as const;
export const rejectResolutionSchema = z.enum(REJECT_RESOLUTIONS);

/** Why an operator dismisses rejects; kept on each of them. */
export const dismissReasonSchema = z
  .string()
  .trim()
  .min(3, 'Give a reason for the dismissal (at least 3 characters)')
  .max(500, 'Keep the reason under 500 characters');
