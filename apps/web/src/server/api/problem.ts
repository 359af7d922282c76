/**
 * Errors of the REST API as problem details (RFC 9457, `application/problem+json`). Every refusal has a
 * `type` naming it, a `title`, the HTTP `status` and a `detail`; an invalid request also lists each
 * invalid parameter with where it was (`in`) and its path (`path`: a query or path parameter's name, a
 * JSON Pointer into the body), so a client can show each message next to its field.
 */
import type { ZodError } from 'zod';

export interface FieldProblem {
  in: 'query' | 'path' | 'body' | 'header';
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldProblem[];
}

const TYPE_BASE = 'https://meterops.invalid/problems/';

export const problemTitles = {
  'invalid-request': 'The request is invalid',
  unauthorized: 'A valid API key is required',
  forbidden: 'The API key lacks a scope',
  'not-found': 'Not found',
  conflict: 'Conflict with the current state',
  'payload-too-large': 'The request body is too large',
  'rate-limited': 'Too many requests',
  unavailable: 'A service the API depends on is unavailable',
  internal: 'Internal error',
} as const;
export type ProblemKind = keyof typeof problemTitles;

export function problem(kind: ProblemKind, status: number, detail: string, errors?: FieldProblem[]): Problem {
  return {
    type: `${TYPE_BASE}${kind}`,
    title: problemTitles[kind],
    status,
    detail,
    ...(errors === undefined ? {} : { errors }),
  };
}

export function problemResponse(body: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status: body.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
  });
}

/** Where a validation target of the router puts its fields. */
const locations: Record<string, FieldProblem['in']> = {
  query: 'query',
  param: 'path',
  json: 'body',
  header: 'header',
};

/** A JSON Pointer (RFC 6901) of a body path; a parameter's name for query and path parameters. */
function fieldPath(where: FieldProblem['in'], path: readonly PropertyKey[]): string {
  if (where !== 'body') return path.map(String).join('.');
  return `/${path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

export function fieldProblems(target: string, error: ZodError): FieldProblem[] {
  const where = locations[target] ?? 'body';
  return error.issues.map((issue) => ({
    in: where,
    path: fieldPath(where, issue.path),
    message: issue.message,
  }));
}

export function bodyFieldProblem(field: string, message: string): FieldProblem {
  return { in: 'body', path: fieldPath('body', field === '' ? [] : field.split('.')), message };
}
