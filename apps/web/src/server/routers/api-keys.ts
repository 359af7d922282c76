/**
 * API keys of the REST API, for administrators: list, create (the secret is answered once and never
 * stored), revoke. Every action is recorded in the staff audit by the query functions.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '@meterops/db/queries/api-keys';
import { createApiKeySchema } from '@meterops/domain/api-keys';
import { staffActor } from '../staff-actor';
import { router, withRole } from '../trpc';

const adminProcedure = withRole('admin');

export const apiKeysRouter = router({
  list: adminProcedure.input(z.void()).query(({ ctx }) => listApiKeys(ctx.db)),
  create: adminProcedure.input(createApiKeySchema).mutation(async ({ ctx, input }) => {
    const { key, secret } = await createApiKey(ctx.db, {
      name: input.name,
      scopes: input.scopes,
      customerId: input.customerId || null,
      expiresAt: input.expiresAt ?? null,
      rateLimitPerMinute: input.rateLimitPerMinute,
      actor: staffActor(ctx),
    });
    return { key, secret };
  }),
  revoke: adminProcedure.input(z.object({ id: z.uuid() })).mutation(async ({ ctx, input }) => {
    const key = await revokeApiKey(ctx.db, { id: input.id, actor: staffActor(ctx) });
    if (key === null) throw new TRPCError({ code: 'NOT_FOUND', message: 'There is no such API key.' });
    return key;
  }),
});
