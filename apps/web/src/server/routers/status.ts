import { z } from 'zod';
import { hasRole } from '../../lib/access';
import { checkHealth } from '../health';
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
});
