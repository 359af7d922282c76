import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { userRole } from '@meterops/db/schema';
import { homeFor } from '../../lib/access';
import { serializeClearedSessionCookie, serializeSessionCookie } from '../auth/cookie';
import { invalidateSession } from '../auth/session';
import { signInWithPassword } from '../auth/sign-in';
import { authedProcedure, publicProcedure, router } from '../trpc';

const sessionUser = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(userRole.enumValues),
  customerId: z.string().nullable(),
});

export const authRouter = router({
  signIn: publicProcedure
    .input(
      z.object({
        email: z.string().trim().toLowerCase().pipe(z.email('Enter an email address').max(320)),
        // Bounded so that a huge body cannot be fed to the password hash.
        password: z.string().min(1, 'Enter your password').max(1_024),
      }),
    )
    .output(z.object({ user: sessionUser, home: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const result = await signInWithPassword(ctx.db, { ...input, clientAddress: ctx.clientAddress });
      switch (result.outcome) {
        case 'throttled':
          ctx.resHeaders.set('retry-after', String(result.retryAfterSeconds));
          throw new TRPCError({
            code: 'TOO_MANY_REQUESTS',
            message: `Too many failed sign-ins; try again in ${result.retryAfterSeconds} seconds`,
          });
        case 'invalid-credentials':
          throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Email or password is incorrect' });
        case 'signed-in':
          // Signing in again (another account, or the same) replaces the session this browser had.
          if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
          ctx.resHeaders.append('set-cookie', serializeSessionCookie(result.token, result.session.expiresAt));
          return { user: result.user, home: homeFor(result.user.role) };
      }
    }),

  /** Ends the current session, if any, and clears the cookie; harmless when already signed out. */
  signOut: publicProcedure
    .input(z.void())
    .output(z.object({ signedOut: z.literal(true) }))
    .mutation(async ({ ctx }) => {
      if (ctx.session) await invalidateSession(ctx.db, ctx.session.id);
      ctx.resHeaders.append('set-cookie', serializeClearedSessionCookie());
      return { signedOut: true as const };
    }),

  me: authedProcedure
    .input(z.void())
    .output(sessionUser)
    .query(({ ctx }) => ctx.user),
});
