import { z } from 'zod';
import { listWorkerHeartbeats } from '@meterops/db/queries/workers';
import { checkHealth } from '../health';
import { WORKER_SILENT_AFTER_S } from './pipeline';
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

  /**
   * Public: whether ingest runs — some worker consuming, every reporting worker paused, or none reporting
   * — with counts only; reasons and hosts are on the pipeline page for staff.
   */
  ingest: publicProcedure
    .input(z.void())
    .output(
      z.object({
        checkedAt: z.date(),
        state: z.enum(['consuming', 'paused', 'down']),
        workers: z.object({
          consuming: z.number().int(),
          paused: z.number().int(),
          silent: z.number().int(),
        }),
      }),
    )
    .query(async ({ ctx }) => {
      const beats = (await listWorkerHeartbeats(ctx.sql, { withinHours: 1 })).filter(
        (beat) => beat.state !== 'stopped',
      );
      const live = beats.filter((beat) => beat.silentSeconds <= WORKER_SILENT_AFTER_S);
      const consuming = live.filter((beat) => beat.state === 'consuming' || beat.state === 'starting').length;
      const paused = live.length - consuming;
      return {
        checkedAt: new Date(),
        state: consuming > 0 ? 'consuming' : paused > 0 ? 'paused' : 'down',
        workers: { consuming, paused, silent: beats.length - live.length },
      };
    }),
});
