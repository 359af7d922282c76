/**
 * The OpenAPI document without a server: the routes built over inert dependencies (postgres.js connects
 * lazily, and nothing is called), for `npm run openapi:write -w @meterops/web` and the unit tests.
 */
import { createDb } from '@meterops/db/client';
import { createApiRoutes, openApiInfo } from './app';

export function apiDocument() {
  const { db, sql } = createDb({ url: 'postgres://inert@127.0.0.1:1/inert', max: 1 });
  const unused = () => Promise.reject(new Error('not available while only the document is built'));
  const routes = createApiRoutes({
    db,
    sql,
    now: () => new Date(0),
    publishReadings: unused,
    archive: { readings: unused, revisions: unused, months: unused },
  });
  return routes.getOpenAPI31Document(openApiInfo);
}
