import { authRouter } from './routers/auth';
import { completenessRouter } from './routers/completeness';
import { consumptionRouter } from './routers/consumption';
import { pipelineRouter } from './routers/pipeline';
import { rejectsRouter } from './routers/rejects';
import { statusRouter } from './routers/status';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  status: statusRouter,
  pipeline: pipelineRouter,
  completeness: completenessRouter,
  consumption: consumptionRouter,
  rejects: rejectsRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
