import { z } from 'zod';
import { listRejectedReadings, rejectedCountsByRule } from '@meterops/db/queries/rejects';
import { meterIdSchema, REJECTS_PAGE_SIZES, ruleSchema } from '../../lib/ops-params';
import { router, withRole } from '../trpc';

const opsProcedure = withRole('operator', 'admin');

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

export const rejectsRouter = router({
  /** The quarantine list, newest first, filtered by rule, meter and time received. */
  list: opsProcedure
    .input(
      z
        .object({
          ...filterShape,
          rule: ruleSchema.optional(),
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
            resolution: z.string(),
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
      return { page, pageSize: size, ...result };
    }),

  /** Rejections per rule for the meter and time filters (every rule, whichever one the list shows). */
  byRule: opsProcedure
    .input(z.object(filterShape).refine(rangeInOrder, rangeMessage))
    .output(z.object({ rules: z.array(z.object({ rule: z.string(), count: z.number().int() })) }))
    .query(async ({ ctx, input }) => ({ rules: await rejectedCountsByRule(ctx.db, input) })),
});
