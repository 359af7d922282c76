import { z } from 'zod';
import { checkHealth } from '../health';
import { publicProcedure, router } from '../trpc';

const componentHealth = z.object({
  name: z.enum(['Kafka', 'Postgres', 'InfluxDB']),
  address: z.string(),
  up: z.boolean(),
  latencyMs: z.number().int().nonnegative(),
  detail: z.string(),
});

export const statusRouter = router({
  /** Public: whether Kafka, Postgres and InfluxDB answer, as seen from the web app. */
  health: publicProcedure
    .input(z.void())
    .output(z.object({ checkedAt: z.date(), components: z.array(componentHealth) }))
    .query(async ({ ctx }) => {
      const components = await checkHealth(ctx.db);
      return { checkedAt: new Date(), components };
    }),
});
