import { z } from 'zod';

/** Parameters of the VEE rules; the worker and the batch layer load overrides from configuration. */
export const veeParamsSchema = z.object({
  /** Allowed clock skew: an interval may end at most this many minutes after now. */
  futureToleranceMinutes: z.number().min(0),
  /** spike: highest interval of a day above this many times the third-highest … */
  spikeRatio: z.number().gt(1),
  /** … and above this many kWh, so near-zero days do not flag noise. */
  spikeMinKwh: z.number().min(0),
  /** high_vs_history: above this many times the meter's 95th percentile … */
  highFactor: z.number().gt(0),
  /** … and above this many kWh. */
  highMinKwh: z.number().min(0),
  /** low_vs_history: mean of the readings below this fraction of the baseline mean … */
  lowFactor: z.number().gt(0).max(1),
  /** … only for meters whose baseline mean is at least this (a near-empty flat would always be "low") … */
  lowMinMeanKwh: z.number().min(0),
  /** … and only over readings covering at least this many hours, since single night intervals are low by nature. */
  lowMinHours: z.number().gt(0),
  /** History rules stay silent until the baseline holds this many intervals (672 = one week at 15 min). */
  minHistorySamples: z.number().int().min(1),
  /**
   * zero_on_active: consecutive zero intervals spanning at least this many minutes. A duration rather than
   * a count, so 15- and 30-minute meters are judged alike (240 = 16 intervals at 15 min).
   */
  zeroRunMinutes: z.number().gt(0),
});

export type VeeParams = z.infer<typeof veeParamsSchema>;

export const defaultVeeParams: Readonly<VeeParams> = Object.freeze({
  futureToleranceMinutes: 15,
  spikeRatio: 10,
  spikeMinKwh: 0.5,
  highFactor: 3,
  highMinKwh: 1,
  lowFactor: 0.1,
  lowMinMeanKwh: 0.05,
  lowMinHours: 12,
  minHistorySamples: 672,
  zeroRunMinutes: 240,
});

/** Defaults with overrides applied; throws a ZodError naming the offending parameter. */
export function resolveVeeParams(overrides: Partial<VeeParams> = {}): VeeParams {
  return veeParamsSchema.parse({ ...defaultVeeParams, ...overrides });
}
