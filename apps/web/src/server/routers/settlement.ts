/**
 * Settlement (docs/settlement.md): the run timetable, the runs with their per-supplier totals, the
 * reconciliation differences and the readings behind them, and reproducing a run from history. Operators
 * and administrators read; administrators set the timetable and request runs (carried out by the worker as
 * `settlement-run` jobs). The per-supplier settlement file is a CSV route (app/ops/settlement/file).
 */
import { TRPCError } from '@trpc/server';
import { recordStaffAction } from '@meterops/db/queries/audit';
import { enqueueJob } from '@meterops/db/queries/jobs';
import {
  getSettlementRunDetail,
  getSettlementTimetable,
  listSettlementRuns,
  reproduceSettlementRun,
  settlementRegions,
  updateSettlementTimetable,
} from '@meterops/db/queries/settlement';
import {
  requestRunSchema,
  runIdSchema,
  settlementRunsInputSchema,
  timetableSchema,
} from '../../lib/settlement-params';
import { staffActor } from '../staff-actor';
import { router, withRole } from '../trpc';

const readSettlement = withRole('operator', 'admin');
const adminProcedure = withRole('admin');

function found<T>(row: T | null, id: number): T {
  if (row === null) throw new TRPCError({ code: 'NOT_FOUND', message: `There is no settlement run #${id}.` });
  return row;
}

export const settlementRouter = router({
  timetable: readSettlement.query(({ ctx }) => getSettlementTimetable(ctx.sql)),
  /** The timetable rows keep who changed them last and when. */
  updateTimetable: adminProcedure
    .input(timetableSchema)
    .mutation(({ ctx, input }) =>
      updateSettlementTimetable(ctx.sql, { timetable: input, actor: ctx.user.id }),
    ),
  regions: readSettlement.query(({ ctx }) => settlementRegions(ctx.sql)),
  runs: readSettlement
    .input(settlementRunsInputSchema)
    .query(({ ctx, input }) => listSettlementRuns(ctx.sql, { ...input, limit: 100 })),
  run: readSettlement
    .input(runIdSchema)
    .query(async ({ ctx, input }) => found(await getSettlementRunDetail(ctx.sql, input), input.id)),
  /** Recomputes the run from readings, revisions and registrations as of its instant; changes nothing. */
  reproduce: readSettlement.input(runIdSchema).mutation(async ({ ctx, input }) => {
    const reproduction = found(await reproduceSettlementRun(ctx.sql, input), input.id);
    return {
      matches: reproduction.matches,
      mismatches: reproduction.mismatches.slice(0, 50),
      reproducedKwh: reproduction.reproducedKwh,
      storedKwh: reproduction.run.kwh,
    };
  }),
  request: adminProcedure.input(requestRunSchema).mutation(async ({ ctx, input }) => {
    const run = await enqueueJob(ctx.sql, { name: 'settlement-run', params: input, startedBy: ctx.user.id });
    await recordStaffAction(ctx.db, {
      actor: staffActor(ctx),
      action: 'job.started',
      targetType: 'job_run',
      targetId: run.id,
      details: { job: 'settlement-run', params: input },
    });
    return { id: run.id };
  }),
});
