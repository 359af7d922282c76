import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { passwordWeakness } from '@meterops/domain/password-policy';
import { hashPassword, verifyPassword } from '@meterops/db/password';
import { findPasswordHash } from '@meterops/db/queries/auth';
import { setPassword } from '@meterops/db/queries/users';
import { role } from '../enums';
import { CHANGE_PASSWORD_PATH, homeFor } from '../../lib/access';
import { changePasswordSchema } from '../../lib/user-params';
import { serializeClearedSessionCookie, serializeSessionCookie } from '../auth/cookie';
import { invalidateSession, startSession } from '../auth/session';
import { signInWithPassword } from '../auth/sign-in';
import { fieldError } from '../field-error';
import { publicProcedure, router, signedInProcedure } from '../trpc';

const sessionUser = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role,
  customerId: z.string().nullable(),
  mustChangePassword: z.boolean(),
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
          return {
            user: result.user,
            home: result.user.mustChangePassword ? CHANGE_PASSWORD_PATH : homeFor(result.user.role),
          };
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

  me: signedInProcedure
    .input(z.void())
    .output(sessionUser)
    .query(({ ctx }) => ctx.user),

  /**
   * Every user changes their own password, proving the current one. All their sessions end (other
   * devices, and any session of someone who knew the old password); this browser gets a new one.
   */
  changePassword: signedInProcedure
    .input(changePasswordSchema)
    .output(z.object({ home: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const storedHash = await findPasswordHash(ctx.db, { userId: ctx.user.id });
      if (storedHash === null || !(await verifyPassword(storedHash, input.currentPassword))) {
        throw fieldError('currentPassword', 'This is not your current password');
      }
      const weakness = passwordWeakness(input.newPassword, ctx.user);
      if (weakness !== null) throw fieldError('newPassword', weakness);
      if (input.newPassword === input.currentPassword) {
        throw fieldError('newPassword', 'Choose a password different from the current one');
      }
      await setPassword(ctx.db, {
        userId: ctx.user.id,
        passwordHash: await hashPassword(input.newPassword),
        mustChangePassword: false,
      });
      const { token, session } = await startSession(ctx.db, ctx.user.id);
      ctx.resHeaders.append('set-cookie', serializeSessionCookie(token, session.expiresAt));
      return { home: homeFor(ctx.user.role) };
    }),
});
