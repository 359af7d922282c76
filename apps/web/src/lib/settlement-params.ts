/**
 * Inputs of suppliers, supplier switches and settlement runs, shared by the procedures and the forms so
 * both refuse the same things with the same words. Safe for client components.
 */
import { z } from 'zod';
import { settlementRunTypes } from '@meterops/domain/settlement';
import { registeredMeterIdSchema } from '@meterops/domain/contract';

export const supplierIdSchema = z
  .string()
  .trim()
  .min(1, 'Enter the supplier id')
  .max(64, 'At most 64 characters')
  .regex(/^[A-Za-z0-9._:-]+$/, 'Letters, digits and . _ : - only');

export const supplierSchema = z.object({
  id: supplierIdSchema,
  name: z.string().trim().min(1, 'Enter the name').max(200, 'At most 200 characters'),
});

const daySchema = z.iso.date('A day as YYYY-MM-DD');

/** Moves a meter to a supplier from a local settlement day on. */
export const supplierSwitchSchema = z.object({
  meterId: registeredMeterIdSchema,
  supplierId: supplierIdSchema,
  from: daySchema,
});

export const runTypeSchema = z.enum(settlementRunTypes);

const daysAfter = z
  .number({ error: 'Enter a whole number of days' })
  .int('A whole number of days')
  .min(0, 'Zero or more')
  .max(400, 'At most 400 days');

/** Days after the settlement day each run type is due. */
export const timetableSchema = z.object({ initial: daysAfter, r1: daysAfter, r2: daysAfter, rf: daysAfter });

export const regionNameSchema = z.string().trim().min(1, 'Choose a region').max(64);

export const settlementRunsInputSchema = z.object({
  day: daySchema.optional(),
  region: regionNameSchema.optional(),
});

export const requestRunSchema = z.object({
  day: daySchema,
  region: regionNameSchema,
  runType: runTypeSchema,
});

export const runIdSchema = z.object({ id: z.number().int().positive() });
