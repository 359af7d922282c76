/** Users and roles, for administrators. Every change is recorded in the staff audit trail. */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { hashPassword } from '@meterops/db/password';
import { recordStaffAction } from '@meterops/db/queries/audit';
import type { SessionUser } from '@meterops/db/queries/auth';
import {
  changeUser,
  createUser,
  customerExists,
  emailTaken,
  listUsers,
  type UserChange,
} from '@meterops/db/queries/users';
import { createUserSchema, roleSchema, setRoleSchema } from '../../lib/user-params';
import { fieldError } from '../field-error';
import { staffActor } from '../staff-actor';
import { router, withRole } from '../trpc';

const adminProcedure = withRole('admin');

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
