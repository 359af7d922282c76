import { apiKeysRouter } from './routers/api-keys';
import { auditRouter } from './routers/audit';
import { authRouter } from './routers/auth';
import { alertsRouter } from './routers/alerts';
import { billingRouter } from './routers/billing';
import { completenessRouter } from './routers/completeness';
import { consumptionRouter } from './routers/consumption';
import { jobsRouter } from './routers/jobs';
import { pipelineRouter } from './routers/pipeline';
import { readingsRouter } from './routers/readings';
import { registryRouter } from './routers/registry';
import { rejectsRouter } from './routers/rejects';
import { serviceRouter } from './routers/service';
import { settlementRouter } from './routers/settlement';
import { statusRouter } from './routers/status';
import { usageRouter } from './routers/usage';
import { usersRouter } from './routers/users';
import { webhooksRouter } from './routers/webhooks';
import { createCallerFactory, router } from './trpc';

export const appRouter = router({
  auth: authRouter,
  status: statusRouter,
  pipeline: pipelineRouter,
  completeness: completenessRouter,
  consumption: consumptionRouter,
  rejects: rejectsRouter,
  service: serviceRouter,
  readings: readingsRouter,
  alerts: alertsRouter,
  billing: billingRouter,
  jobs: jobsRouter,
  users: usersRouter,
  audit: auditRouter,
  registry: registryRouter,
  usage: usageRouter,
  settlement: settlementRouter,
  webhooks: webhooksRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
