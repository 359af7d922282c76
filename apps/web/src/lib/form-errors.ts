'use client';

import { TRPCClientError } from '@trpc/client';

export interface FormProblem {
  /** One sentence for the top of the form. */
  message: string;
  /** Messages per input field, from the server's zod validation (`fieldErrors` of a BAD_REQUEST). */
  fieldErrors: Record<string, string[] | undefined>;
}

/**
 * What a failed mutation means for a form: field errors go next to their fields, a refusal (FORBIDDEN,
 * CONFLICT, NOT_FOUND) shows its message, and anything else a generic sentence, never a stack trace.
 */
export function describeProblem(error: unknown): FormProblem {
  if (error instanceof TRPCClientError) {
    const data = error.data as
      { code?: string; fieldErrors?: Record<string, string[] | undefined> | null } | undefined;
    if (data?.code === 'BAD_REQUEST' && data.fieldErrors) {
      return { message: 'Check the highlighted fields.', fieldErrors: data.fieldErrors };
    }
    if (data?.code && data.code !== 'INTERNAL_SERVER_ERROR')
      return { message: error.message, fieldErrors: {} };
  }
  return { message: 'That did not work; it has been logged. Try again in a moment.', fieldErrors: {} };
}

/** First message for `field`, if any. */
export function fieldMessage(problem: FormProblem | null, field: string): string | undefined {
  return problem?.fieldErrors[field]?.[0];
}
