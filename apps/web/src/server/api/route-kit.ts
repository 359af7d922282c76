/** Small builders shared by the route modules: response entries of the OpenAPI document, conversions. */
import type { z } from '@hono/zod-openapi';
import { problemSchema } from './schemas';

export const problemDescriptions = {
  304: 'Not modified: the representation matches If-None-Match',
  400: 'Invalid query or path parameter (problem details with a field path per parameter)',
  401: 'Missing, invalid, expired or revoked API key',
  403: 'The key lacks the scope this endpoint needs',
  404: 'No such resource (or not visible to this key)',
  409: 'Conflict with the current state',
  413: 'Request body too large',
  422: 'Invalid body (problem details with a JSON Pointer per field)',
  429: 'Rate limit of the key exceeded; see Retry-After',
} as const;

type ProblemStatus = Exclude<keyof typeof problemDescriptions, 304>;

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

export function problems<const S extends ProblemStatus>(...statuses: S[]) {
  const entries = statuses.map((status) => [
    status,
    {
      content: { 'application/problem+json': { schema: problemSchema } },
      description: problemDescriptions[status],
    },
  ]);
  return Object.fromEntries(entries) as Record<
    S,
    { content: { 'application/problem+json': { schema: typeof problemSchema } }; description: string }
  >;
}

export const notModified = { 304: { description: problemDescriptions[304] } } as const;

export const iso = (at: Date) => at.toISOString();
export const isoOrNull = (at: Date | null) => (at === null ? null : at.toISOString());
