/** Types shared by the REST API's app and its route modules. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Db, Sql } from '@meterops/db/client';
import type { ArchivedReading, ArchivedRevision } from '@meterops/archive/reader';
import type { ApiEnv, RequireScope } from './auth';
import { problem, type FieldProblem, type Problem } from './problem';

export type ApiApp = OpenAPIHono<ApiEnv>;

/** Where a message delivered over HTTP went in Kafka. */
export interface PublishedMessage {
  topic: string;
  partition: number;
  offset: number;
}

/** What the routes need from the outside world; the route handler passes the server's, tests their own. */
export interface ApiDependencies {
  db: Db;
  sql: Sql;
  now: () => Date;
  /** Publishes one message of the readings contract (key = meter id) and says where it landed. */
  publishReadings: (message: { key: string; value: string }) => Promise<PublishedMessage>;
  /** Raw readings and revisions of archived months (apps/web/src/server/archive.ts). */
  archive: {
    readings: (
      sql: Sql,
      params: { meterId: string; from: Date; to: Date },
    ) => Promise<{ months: string[]; readings: ArchivedReading[] }>;
    revisions: (
      sql: Sql,
      params: { meterId: string; from: Date; to: Date; intervalStart?: Date; limit: number },
    ) => Promise<{ months: string[]; revisions: ArchivedRevision[] }>;
    months: (sql: Sql, params: { from: Date; to: Date }) => Promise<Set<string>>;
  };
}

export interface ApiContext extends ApiDependencies {
  requireScope: RequireScope;
}

/** A refusal decided by a route, thrown and answered as problem details by the app's error handler. */
export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }

  static notFound(detail: string) {
    return new ApiProblem(problem('not-found', 404, detail));
  }

  static conflict(detail: string) {
    return new ApiProblem(problem('conflict', 409, detail));
  }

  static invalidQuery(path: string, message: string) {
    return ApiProblem.invalid(400, [{ in: 'query', path, message }]);
  }

  static invalid(status: 400 | 422, errors: FieldProblem[]) {
    return new ApiProblem(
      problem(
        'invalid-request',
        status,
        errors.map((error) => `${error.path}: ${error.message}`).join('; '),
        errors,
      ),
    );
  }

  static tooLarge(detail: string) {
    return new ApiProblem(problem('payload-too-large', 413, detail));
  }
}
