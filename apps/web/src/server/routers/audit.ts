/** The staff audit trail, for administrators: read-only, newest first, filtered. */
import { z } from 'zod';
import { listStaffAudit } from '@meterops/db/queries/audit';
import { addDays } from '../../lib/ops-params';
import { AUDIT_PAGE_SIZE, auditFilterSchema } from '../../lib/audit-params';
import { adminProcedure, router } from '../trpc';

export const auditRouter = router({
  list: adminProcedure
    .input(auditFilterSchema)
    .output(
      z.object({
        pageSize: z.number().int(),
        records: z.array(
          z.object({
            id: z.number().int(),
            at: z.date(),
            actorId: z.string().nullable(),
            actor: z.string(),
            action: z.string(),
            targetType: z.string(),
            targetId: z.string().nullable(),
            details: z.record(z.string(), z.unknown()),
            clientAddress: z.string().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx, input }) => {
      const records = await listStaffAudit(ctx.db, {
        action: input.action,
        actor: input.actor,
        targetType: input.targetType,
        targetId: input.targetId,
        from: input.from === undefined ? undefined : new Date(`${input.from}T00:00:00Z`),
        to: input.to === undefined ? undefined : new Date(`${addDays(input.to, 1)}T00:00:00Z`),
        beforeId: input.beforeId,
        limit: AUDIT_PAGE_SIZE,
      });
      return { pageSize: AUDIT_PAGE_SIZE, records };
    }),
});
