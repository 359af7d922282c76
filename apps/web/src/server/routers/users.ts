/** Users and roles, for administrators. Every change is recorded in the staff audit trail. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import { passwordWeakness } from '@meterops/domain/password-policy';
import { hashPassword } from '@meterops/db/password';
import { recordStaffAction } from '@meterops/db/queries/audit';
import type { SessionUser } from '@meterops/db/queries/auth';
import {
  changeUser,
  createUser,
  customerExists,
  emailTaken,
  getManagedUser,
  listUsers,
  setPassword,
  type UserChange,
} from '@meterops/db/queries/users';
import { createUserSchema, resetPasswordSchema, roleSchema, setRoleSchema } from '../../lib/user-params';
import { fieldError } from '../field-error';
import { staffActor } from '../staff-actor';
import { adminProcedure, router } from '../trpc';

/**
 * A temporary password: 16 random bytes (128 bits) as four groups of base64url characters, easy to
 * read out to the user and far beyond guessing for the short time it is valid.
 */
function generateTemporaryPassword(): string {
  return (
    randomBytes(16)
      .toString('base64url')
      .match(/.{1,6}/g) ?? []
  ).join('-');
}

async function apply(
  ctx: { db: Parameters<typeof changeUser>[0]; user: SessionUser; clientAddress: string },
  id: string,
  change: UserChange,
): Promise<{ ok: true }> {
  const outcome = await changeUser(ctx.db, { id, change, actor: staffActor(ctx) });
  if (outcome === 'not_found') throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such user.' });
  if (outcome === 'last_admin') {
    throw new TRPCError({
      code: 'CONFLICT',
      message: 'The portal needs at least one enabled administrator.',
    });
  }
  return { ok: true };
}

export const usersRouter = router({
  list: adminProcedure
    .input(z.void())
    .output(
      z.object({
        users: z.array(
          z.object({
            id: z.string(),
            email: z.string(),
            name: z.string(),
            role: roleSchema,
            customerId: z.string().nullable(),
            customerName: z.string().nullable(),
            disabledAt: z.date().nullable(),
            mustChangePassword: z.boolean(),
            createdAt: z.date(),
            lastSessionAt: z.date().nullable(),
          }),
        ),
      }),
    )
    .query(async ({ ctx }) => ({ users: await listUsers(ctx.db) })),

  /** A new user with an Argon2id-hashed password; a customer account is bound to an existing customer. */
  create: adminProcedure
    .input(createUserSchema)
    .output(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      const weakness = passwordWeakness(input.password, input);
      if (weakness !== null) throw fieldError('password', weakness);
      if (await emailTaken(ctx.db, { email: input.email }))
        throw fieldError('email', 'A user with this email exists');
      const customerId = input.role === 'customer' ? (input.customerId ?? null) : null;
      if (customerId !== null && !(await customerExists(ctx.db, { customerId }))) {
        throw fieldError('customerId', `There is no customer ${customerId}`);
      }
      const passwordHash = await hashPassword(input.password);
      return ctx.db.transaction(async (tx) => {
        const created = await createUser(tx, {
          email: input.email,
          name: input.name,
          passwordHash,
          role: input.role,
          customerId,
        });
        await recordStaffAction(tx, {
          actor: staffActor(ctx),
          action: 'user.created',
          targetType: 'user',
          targetId: created.id,
          details: { email: input.email.toLowerCase(), role: input.role, customerId },
        });
        return created;
      });
    }),

  /** Changes the role (and the customer binding it needs). Administrators cannot take away their own role. */
  setRole: adminProcedure
    .input(setRoleSchema)
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (input.id === ctx.user.id && input.role !== 'admin') {
        throw fieldError('role', 'You cannot remove your own administrator role; ask another administrator');
      }
      const customerId = input.role === 'customer' ? (input.customerId ?? null) : null;
      if (customerId !== null && !(await customerExists(ctx.db, { customerId }))) {
        throw fieldError('customerId', `There is no customer ${customerId}`);
      }
      return apply(ctx, input.id, { kind: 'role', role: input.role, customerId });
    }),

  /**
   * Sets a temporary password (the administrator's, or a generated one returned once and never stored in
   * clear) that the user must replace at the next sign-in, and ends all the user's sessions.
   * Administrators change their own password on the account page instead.
   */
  resetPassword: adminProcedure
    .input(resetPasswordSchema)
    .output(z.object({ temporaryPassword: z.string().nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (input.id === ctx.user.id) {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: 'Change your own password on the account page, with your current password.',
        });
      }
      const target = await getManagedUser(ctx.db, { id: input.id });
      if (target === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such user.' });
      if (input.password !== undefined) {
        const weakness = passwordWeakness(input.password, target);
        if (weakness !== null) throw fieldError('password', weakness);
      }
      const temporaryPassword = input.password ?? generateTemporaryPassword();
      const passwordHash = await hashPassword(temporaryPassword);
      // The reset and its audit row stand or fall together.
      await ctx.db.transaction(async (tx) => {
        await setPassword(tx, { userId: target.id, passwordHash, mustChangePassword: true });
        await recordStaffAction(tx, {
          actor: staffActor(ctx),
          action: 'user.password_reset',
          targetType: 'user',
          targetId: target.id,
          details: { email: target.email, generated: input.password === undefined },
        });
      });
      return { temporaryPassword: input.password === undefined ? temporaryPassword : null };
    }),

  /** Disabling ends the user's sessions at once; an administrator cannot disable themselves. */
  setDisabled: adminProcedure
    .input(z.object({ id: z.uuid(), disabled: z.boolean() }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) => {
      if (input.id === ctx.user.id && input.disabled) {
        throw new TRPCError({ code: 'FORBIDDEN', message: 'You cannot disable your own account.' });
      }
      return apply(ctx, input.id, input.disabled ? { kind: 'disable' } : { kind: 'enable' });
    }),
});
