import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { db, sql } from '../../../../server/db';
import { createContext } from '../../../../server/context';
import { influx } from '../../../../server/influx';
import { appRouter } from '../../../../server/root';

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ req: request, resHeaders }) =>
      createContext({ db, sql, influx, headers: request.headers, resHeaders }),
    onError({ error, path }) {
      // What clients see is decided by the error formatter; the server log keeps the whole story.
      if (
        error.code === 'INTERNAL_SERVER_ERROR' ||
        error.code === 'SERVICE_UNAVAILABLE' ||
        error.code === 'TIMEOUT'
      ) {
        console.error(`tRPC ${path ?? '<no path>'} failed:`, error.cause ?? error);
      }
    },
  });
}

export { handler as GET, handler as POST };
