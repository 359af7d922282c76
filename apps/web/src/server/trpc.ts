import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { UserRole } from '@meterops/db/queries/auth';
import { env } from '../env';
import { hasRole } from '../lib/access';
import type { Context } from './context';
import { formatError, mapError } from './errors';

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  isDev: env.NODE_ENV === 'development',
  errorFormatter: formatError,
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const mapped = mapError(result.error);
    if (mapped !== result.error) throw mapped;
  }
  return result;
});

/** Anyone, signed in or not. */
export const publicProcedure = t.procedure.use(mapErrors);

/**
 * A signed-in user, even one who must change a reset password first: only for what that user needs
 * (who am I, change my password). `ctx.user` and `ctx.session` are non-null from here on.
 */
export const signedInProcedure = publicProcedure.use(({ ctx, next }) => {
  const { user, session } = ctx;
  if (user === null || session === null) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  }
  return next({ ctx: { user, session } });
});

/**
 * A signed-in user of any role. A user whose password an administrator reset is refused here until
 * they choose a new one, so a temporary password opens nothing but the change-password page.
 */
export const authedProcedure = signedInProcedure.use(({ ctx, next }) => {
  if (ctx.user.mustChangePassword) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      message: 'Your password was reset: choose a new password before anything else.',
    });
  }
  return next();
});

/** A signed-in user with one of `roles`; `ctx.user.role` is narrowed to them. */
export function withRole<const R extends UserRole>(...roles: [R, ...R[]]) {
  return authedProcedure.use(({ ctx, next }) => {
    const { user } = ctx;
    if (!hasRole(user, roles)) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'Your role does not give access to this.' });
    }
    return next({ ctx: { user } });
  });
}

/** Operators and administrators: the ops pages (pipeline, completeness, consumption, rejects). */
export const opsProcedure = withRole('operator', 'admin');

/** Customer service agents and administrators: the service pages. */
export const serviceProcedure = withRole('agent', 'admin');

/** Administrators only. */
export const adminProcedure = withRole('admin');

/** A customer user, with the customer id their account is bound to. */
export const customerProcedure = withRole('customer').use(({ ctx, next }) => {
  const { customerId } = ctx.user;
  // The users table guarantees the binding for the customer role; a row without one sees nothing.
  if (customerId === null)
    throw new TRPCError({ code: 'FORBIDDEN', message: 'This account is not bound to a customer.' });
  return next({ ctx: { customerId } });
});
