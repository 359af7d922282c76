/**
 * Inputs of the customer's usage page, shared by the procedures, the CSV route and the page (reading the
 * URL). Safe for client components: zod only.
 */
import { z } from 'zod';
import { daySchema, meterIdSchema } from './ops-params';

export const usageViews = ['day', 'week', 'month', 'year'] as const;
export type UsageView = (typeof usageViews)[number];
export const usageViewSchema = z.enum(usageViews);

export const usageViewLabels: Record<UsageView, string> = {
  day: 'Day',
  week: 'Week',
  month: 'Month',
  year: 'Year',
};

/** What the usage page shows: one of the customer's meters, a view, and a day inside the period. */
export const usageSelectionSchema = z.object({
  meterId: meterIdSchema,
  view: usageViewSchema,
  day: daySchema,
});

export type UsageSelection = z.infer<typeof usageSelectionSchema>;

/** Quality as a customer reads it. */
export const qualityLabels = {
  actual: 'Measured',
  estimated: 'Estimated',
  edited: 'Corrected',
} as const;

export const estimationMethodLabels: Record<string, string> = {
  linear_interpolation: 'interpolated between neighbouring readings',
  like_day: 'average of the same weekday in recent weeks',
};
