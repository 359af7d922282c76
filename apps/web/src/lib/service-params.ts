/**
 * Inputs of the customer-service and administration pages, shared by the procedures (validation) and the
 * pages (forms and the URL). Safe for client components: zod only.
 */
import { z } from 'zod';

export { daySchema, meterIdSchema, regionSchema } from './ops-params';

export const searchQuerySchema = z
  .string()
  .trim()
  .min(2, 'Type at least 2 characters')
  .max(100, 'At most 100 characters');

/** kWh as typed by a person: a non-negative decimal with at most 4 decimals (the readings' resolution). */
export const kwhInputSchema = z
  .string()
  .trim()
  .min(1, 'Enter the kWh')
  .regex(/^\d{1,10}(\.\d{1,4})?$/, 'A number of kWh such as 0.4125, at most 4 decimals')
  .refine((value) => Number(value) <= 100_000, 'That is more than any meter can measure in one interval');

/** Why a value was changed: it goes into the audit trail, so it must say something. */
export const reasonSchema = z
  .string()
  .trim()
  .min(10, 'Give a reason of at least 10 characters; it goes into the audit trail')
  .max(500, 'At most 500 characters');

export const REVIEW_PAGE_SIZE = 25;
export const REVIEW_MAX_DAYS = 31;
export const JOBS_PAGE_SIZE = 25;
export const ALERTS_PAGE_SIZE = 25;
export const REPROCESS_MAX_DAYS = 92;
export const REPROCESS_MAX_METERS = 500;

/** Soft VEE rules a reading can be flagged with. */
export const softRules = ['spike', 'high_vs_history', 'low_vs_history', 'zero_on_active'] as const;

export const qualityLabels = {
  actual: 'Actual',
  estimated: 'Estimated',
  edited: 'Edited',
} as const;

export const estimationMethodLabels: Record<string, string> = {
  linear_interpolation: 'linear interpolation',
  like_day: 'like-day average',
};
