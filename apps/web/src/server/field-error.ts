import { TRPCError } from '@trpc/server';
import { z, type ZodError } from 'zod';

/**
 * A ZodError naming one field. Made by a failing parse rather than `new ZodError(…)`: zod 4 builds the
 * errors it throws on `Error`, but a directly constructed one is not `instanceof Error`, and tRPC would
 * then replace it with an opaque cause.
 */
export function zodFieldError(field: string, message: string): ZodError {
  const result = z
    .object({ [field]: z.custom(() => false, { error: message }) })
    .safeParse({ [field]: null });
  if (result.success) throw new Error('a parse that cannot succeed succeeded');
  return result.error;
}

/**
 * A rule the server checks beyond the input schema (an email already taken, a customer that does not
 * exist), answered exactly like a schema failure: BAD_REQUEST whose `fieldErrors` name the field, so the
 * form shows the message next to it. The error formatter in ./errors.ts does the rest.
 */
export function fieldError(field: string, message: string): TRPCError {
  return new TRPCError({ code: 'BAD_REQUEST', message, cause: zodFieldError(field, message) });
}
