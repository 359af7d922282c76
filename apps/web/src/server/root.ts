import { authRouter } from './routers/auth';
import { statusRouter } from './routers/status';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  status: statusRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
