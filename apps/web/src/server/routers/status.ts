import { z } from 'zod';
import { listWorkerHeartbeats } from '@meterops/db/queries/workers';
import { hasRole } from '../../lib/access';
import { checkHealth } from '../health';
import { WORKER_SILENT_AFTER_S } from './pipeline';
import { publicProcedure, router } from '../trpc';

const componentName = z.enum(['Kafka', 'Postgres', 'InfluxDB']);

/** What staff see of a component: where the web app looks for it, how fast it answered, and why not. */
const componentDetails = z.object({
  address: z.string(),
  latencyMs: z.number().int().nonnegative(),
  detail: z.string(),
});

/** Roles that run the platform and may see its addresses, versions and error texts. */
const staffRoles = ['operator', 'agent', 'admin'] as const;

const INGEST_CACHE_MS = 3_000;
let ingestCache: {
  at: number;
  value: Promise<{
    checkedAt: Date;
    state: 'consuming' | 'paused' | 'down';
    workers: { consuming: number; paused: number; silent: number };
  }>;
} | null = null;

export const statusRouter = router({
  /**
   * Public: whether Kafka, Postgres and InfluxDB answer, as seen from the web app. Anyone gets up or down;
   * hosts, ports, database name, versions and error texts help an attacker and go to staff only.
   */
  health: publicProcedure
    .input(z.void())
    .output(
      z.object({
        checkedAt: z.date(),
        detailed: z.boolean(),
        components: z.array(
          z.object({ name: componentName, up: z.boolean(), details: componentDetails.nullable() }),
        ),
      }),
    )
    .query(async ({ ctx }) => {
      const { checkedAt, components } = await checkHealth(ctx.db);
      const detailed = ctx.user !== null && hasRole(ctx.user, staffRoles);
      return {
        checkedAt,
        detailed,
        components: components.map(({ name, up, address, latencyMs, detail }) => ({
          name,
          up,
          details: detailed ? { address, latencyMs, detail } : null,
        })),
      };
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
    .query(({ ctx }) => {
      // Public: one read per few seconds serves every caller, however many ask.
      const now = Date.now();
      if (ingestCache && now - ingestCache.at < INGEST_CACHE_MS) return ingestCache.value;
      const value = (async () => {
        const beats = (await listWorkerHeartbeats(ctx.sql, { withinHours: 1 })).filter(
          (beat) => beat.state !== 'stopped',
        );
        const live = beats.filter((beat) => beat.silentSeconds <= WORKER_SILENT_AFTER_S);
        const consuming = live.filter(
          (beat) => beat.state === 'consuming' || beat.state === 'starting',
        ).length;
        const paused = live.length - consuming;
        return {
          checkedAt: new Date(),
          state:
            consuming > 0 ? ('consuming' as const) : paused > 0 ? ('paused' as const) : ('down' as const),
          workers: { consuming, paused, silent: beats.length - live.length },
        };
      })();
      ingestCache = { at: now, value };
      // A failed read is not kept: the next caller tries again.
      value.catch(() => {
        if (ingestCache?.value === value) ingestCache = null;
      });
      return value;
    }),
});
