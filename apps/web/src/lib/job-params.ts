/** Inputs of the jobs page, shared by the procedures and the forms. Safe for client components. */
import { z } from 'zod';
import { meterIdSchema } from './ops-params';
import { REPROCESS_MAX_METERS } from './service-params';

/** Meter ids as an admin types them: separated by commas, spaces or new lines. */
export function parseMeterList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))];
}

/** The meters to reprocess; left out for every meter. */
export const meterListSchema = z
  .array(meterIdSchema)
  .min(1, 'Enter at least one meter id, or choose all meters')
  .max(REPROCESS_MAX_METERS, `At most ${REPROCESS_MAX_METERS} meters at once; choose all meters for more`)
  .optional();

export const jobLabels: Record<string, string> = {
  reprocess: 'Reprocess days',
  'reprocess-queue': 'Reprocess queued keys',
  'finalize-day': 'Finalize a day',
  'estimate-gaps': 'Estimate gaps',
  nightly: 'Nightly batch',
  replay: 'Replay the readings topic',
  housekeeping: 'Housekeeping',
  archive: 'Archive old months',
  retention: 'Retention clean-up',
  'settlement-run': 'Settlement run',
  'settlement-due': 'Due settlement runs',
  forecast: 'Usage forecast',
};
