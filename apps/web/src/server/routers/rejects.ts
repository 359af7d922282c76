import { z } from 'zod';
import { findMeterProfiles } from '@meterops/db/queries/meters';
import {
  countOpenRejects,
  dismissRejects,
  listRejectedReadings,
  MAX_REJECTS_PER_ACTION,
  redriveRejects,
  rejectedCountsByRule,
} from '@meterops/db/queries/rejects';
import { userNames } from '@meterops/db/queries/service';
import {
  dismissReasonSchema,
  meterIdSchema,
  rejectResolutionSchema,
  REJECTS_PAGE_SIZES,
  ruleSchema,
} from '../../lib/ops-params';
import type { Context } from '../context';
import { fieldError } from '../field-error';
import { opsProcedure, router } from '../trpc';

const filterShape = {
  meterId: meterIdSchema.optional(),
  /** Received at or after. */
  from: z.date().optional(),
  /** Received before. */
  to: z.date().optional(),
};

const rangeInOrder = ({ from, to }: { from?: Date; to?: Date }) =>
  from === undefined || to === undefined || from < to;
const rangeMessage = { message: 'The range must not end before it starts', path: ['to'] };

/** The rejects an action applies to; it touches only the open ones among them. */
const selectionSchema = z
  .object({ ...filterShape, rule: ruleSchema.optional() })
  .refine(rangeInOrder, rangeMessage);

const redriveOutcome = z.object({
  redriven: z.number().int(),
  messages: z.number().int(),
  /** Open rejects of the selection still left: beyond the per-action limit, or arrived meanwhile. */
  remaining: z.number().int(),
});

const dryRunOutput = z.object({ open: z.number().int(), perAction: z.number().int() });

const unknownMeterSelection = (meterId: string) => ({ rule: 'unknown_meter', meterId });

/** Re-drives run under the caller's user id, as corrections record theirs. */
function redrive(
  ctx: Pick<Context, 'db' | 'readings'>,
  actor: string,
  selection: z.infer<typeof selectionSchema> & { note?: string },
) {
  return redriveRejects(ctx.db, {
    ...selection,
    actor,
    publish: (messages) => ctx.readings.publish(messages),
  });
}

/** Why a meter's unknown_meter rejects were re-driven, kept on each of them. */
const REGISTERED_NOTE = 'meter registered';

export const rejectsRouter = router({
  /** The quarantine list, newest first, filtered by rule, meter and time received. */
  list: opsProcedure
    .input(
      z
        .object({
          ...filterShape,
          rule: ruleSchema.optional(),
          resolution: rejectResolutionSchema.optional(),
          page: z.number().int().min(1).max(100_000).default(1),
          pageSize: z.literal(REJECTS_PAGE_SIZES).default(50),
        })
        .refine(rangeInOrder, rangeMessage),
    )
    .output(
      z.object({
        page: z.number().int(),
        pageSize: z.number().int(),
        total: z.number().int(),
        rows: z.array(
          z.object({
            id: z.number().int(),
            receivedAt: z.date(),
            rule: z.string(),
            detail: z.string(),
            meterId: z.string().nullable(),
            intervalStart: z.date().nullable(),
            payload: z.string(),
            topic: z.string(),
            partition: z.number().int(),
            kafkaOffset: z.number().int(),
            itemIndex: z.number().int(),
            kafkaTimestamp: z.date().nullable(),
            resolution: rejectResolutionSchema,
            resolvedBy: z.string().nullable(),
            /** The user's name when a user resolved it; null for `cli:…` actors and open rejects. */
            resolvedByName: z.string().nullable(),
            resolvedAt: z.date().nullable(),
            resolutionNote: z.string().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const { page, pageSize: size, ...filters } = input;
      const result = await listRejectedReadings(ctx.db, {
        ...filters,
        limit: size,
        offset: (page - 1) * size,
      });
      const names = await userNames(ctx.sql, {
        actors: result.rows.flatMap((row) => (row.resolvedBy ? [row.resolvedBy] : [])),
      });
      return {
        page,
        pageSize: size,
        total: result.total,
        rows: result.rows.map((row) => ({
          ...row,
          resolution: rejectResolutionSchema.parse(row.resolution),
          resolvedByName: row.resolvedBy ? (names.get(row.resolvedBy) ?? null) : null,
        })),
      };
    }),

  /** Rejections per rule for the meter and time filters (every rule, whichever one the list shows). */
  byRule: opsProcedure
    .input(z.object(filterShape).refine(rangeInOrder, rangeMessage))
    .output(z.object({ rules: z.array(z.object({ rule: z.string(), count: z.number().int() })) }))
    .query(async ({ ctx, input }) => ({ rules: await rejectedCountsByRule(ctx.db, input) })),

  /** The dry run: how many open rejects of the selection a re-drive or dismissal would touch. */
  openCount: opsProcedure
    .input(selectionSchema)
    .output(dryRunOutput)
    .query(async ({ ctx, input }) => ({
      open: await countOpenRejects(ctx.db, input),
      perAction: MAX_REJECTS_PER_ACTION,
    })),

  /**
   * Sends the open rejects of the selection through ingest again (the readings topic, the same validation
   * as any producer's message), at most MAX_REJECTS_PER_ACTION per call.
   */
  redrive: opsProcedure
    .input(
      z
        .object({
          ...filterShape,
          rule: ruleSchema.optional(),
          /** Optional: why, kept on each reject. */
          note: z.string().trim().max(500, 'Keep the note under 500 characters').optional(),
        })
        .refine(rangeInOrder, rangeMessage),
    )
    .output(redriveOutcome)
    .mutation(({ ctx, input }) => redrive(ctx, ctx.user.id, input)),

  /** Sets the open rejects of the selection aside, with the reason on each. */
  dismiss: opsProcedure
    .input(
      z
        .object({ ...filterShape, rule: ruleSchema.optional(), reason: dismissReasonSchema })
        .refine(rangeInOrder, rangeMessage),
    )
    .output(z.object({ dismissed: z.number().int(), remaining: z.number().int() }))
    .mutation(({ ctx, input }) => dismissRejects(ctx.db, { ...input, actor: ctx.user.id })),

  /** The dry run of `redriveMeter`: the meter's open unknown_meter rejects, and whether it is registered now. */
  redriveMeterCount: opsProcedure
    .input(z.object({ meterId: meterIdSchema }))
    .output(dryRunOutput.extend({ registered: z.boolean() }))
    .query(async ({ ctx, input }) => {
      const [open, profiles] = await Promise.all([
        countOpenRejects(ctx.db, unknownMeterSelection(input.meterId)),
        findMeterProfiles(ctx.db, { ids: [input.meterId] }),
      ]);
      return { open, perAction: MAX_REJECTS_PER_ACTION, registered: profiles.length > 0 };
    }),

  /**
   * Re-drives a meter's open unknown_meter rejects once it is registered (the meter registry calls this
   * when it registers one). Refused while the meter is still unknown: they would only be rejected again.
   */
  redriveMeter: opsProcedure
    .input(z.object({ meterId: meterIdSchema }))
    .output(redriveOutcome)
    .mutation(async ({ ctx, input }) => {
      const profiles = await findMeterProfiles(ctx.db, { ids: [input.meterId] });
      if (profiles.length === 0) {
        throw fieldError(
          'meterId',
          `Meter ${input.meterId} is not registered; its readings would be rejected again.`,
        );
      }
      return redrive(ctx, ctx.user.id, { ...unknownMeterSelection(input.meterId), note: REGISTERED_NOTE });
    }),
});
