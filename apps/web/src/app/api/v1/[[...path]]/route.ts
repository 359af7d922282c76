/** The REST API (/api/v1): one route handler for the Hono app of src/server/api. */
import { handle } from 'hono/vercel';
import { archivedMonths, archivedReadings, archivedRevisions } from '../../../../server/archive';
import { createApiApp } from '../../../../server/api/app';
import { db, sql } from '../../../../server/db';
import { publishReadingMessage } from '../../../../server/kafka';

const app = createApiApp({
  db,
  sql,
  now: () => new Date(),
  publishReadings: publishReadingMessage,
  archive: { readings: archivedReadings, revisions: archivedRevisions, months: archivedMonths },
});

const handler = handle(app);

export { handler as GET, handler as POST, handler as PUT, handler as DELETE, handler as PATCH };
