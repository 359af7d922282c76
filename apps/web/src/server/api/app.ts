/**
 * The REST API `/api/v1`: a Hono app whose routes are declared with zod schemas (@hono/zod-openapi), which
 * validate each request and make the OpenAPI 3.1 document (`/api/v1/openapi.json`), so the document is
 * what the server does. Served by Next through one catch-all route handler (src/app/api/v1/[[...path]]).
 * The routes call the query functions of @meterops/db; no SQL lives here.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { apiScopeDescriptions, apiScopes } from '@meterops/domain/api-keys';
import { createMiddleware } from 'hono/factory';
import { ApiProblem, type ApiApp, type ApiDependencies } from './app-types';
import { createApiAuth, type ApiEnv } from './auth';
import { bodyFieldProblem, fieldProblems, problem, problemResponse } from './problem';
import { RateLimiter } from './rate-limit';
import { registerIngestRoutes } from './routes/ingest';
import { registerMeterDataRoutes } from './routes/meter-data';
import { registerMetricsRoutes } from './routes/metrics';
import { registerRegistryRoutes } from './routes/registry';
import { registerSettlementRoutes } from './routes/settlement';
import { registerWebhookRoutes } from './routes/webhooks';

export const API_BASE = '/api/v1';

/** Errors of the query layer that name the one input they refuse. */
const fieldRefusals = new Set(['RegistryError', 'ApiKeyError', 'CorrectionError']);

function errorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return null;
}

/**
 * Strong ETags of GET answers: a hash of the body. A client that sends it back in If-None-Match gets 304
 * without the body (the query still runs; what is saved is the transfer and the client's parsing).
 */
const etags = createMiddleware(async (c, next) => {
  await next();
  if (c.req.method !== 'GET' || c.res.status !== 200) return;
  if (!(c.res.headers.get('content-type') ?? '').startsWith('application/json')) return;
  const body = await c.res.clone().arrayBuffer();
  const etag = `"${createHash('sha256').update(Buffer.from(body)).digest('base64url').slice(0, 27)}"`;
  const matches = (c.req.header('if-none-match') ?? '')
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === etag || tag === '*');
  const headers = new Headers(c.res.headers);
  headers.set('etag', etag);
  headers.set('cache-control', 'private, no-cache');
  c.res = matches
    ? new Response(null, { status: 304, headers })
    : new Response(body, { status: 200, headers });
});

let scalarBundle: Promise<string> | null = null;

/** Scalar's standalone API reference, served from the installed package (no CDN). */
function scalarScript(): Promise<string> {
  scalarBundle ??= (async () => {
    const require = createRequire(path.join(process.cwd(), 'package.json'));
    const entry = require.resolve('@scalar/api-reference');
    return readFile(path.join(path.dirname(entry), 'browser', 'standalone.js'), 'utf8');
  })();
  scalarBundle.catch(() => {
    scalarBundle = null;
  });
  return scalarBundle;
}

function referencePage(nonce: string | null): string {
  const nonceAttribute = nonce === null ? '' : ` nonce="${nonce}"`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>MeterOps API reference</title></head>
<body>
<script id="api-reference" data-url="${API_BASE}/openapi.json"${nonceAttribute}></script>
<script src="${API_BASE}/docs/scalar.js"${nonceAttribute}></script>
</body>
</html>`;
}

export const openApiInfo: Parameters<ApiApp['getOpenAPI31Document']>[0] = {
  openapi: '3.1.0',
  info: {
    title: 'MeterOps API',
    version: '1.0.0',
    description: [
      'Meters, readings and usage of the MeterOps platform for outside systems (billing, head-ends, analytics).',
      '',
      'Authenticate with `Authorization: Bearer <key>` (keys are made by administrators at /admin/api-keys or with `npm run apikeys`). Each endpoint names the scope it needs:',
      '',
      ...apiScopes.map((scope) => `- \`${scope}\`: ${apiScopeDescriptions[scope]}`),
      '',
      'Instants are RFC 3339 with an offset; kWh are exact decimal strings. Lists are paged with an opaque `cursor` (pass back `nextCursor`) and `limit`. GET answers carry an ETag; send it as If-None-Match for a 304. Errors are RFC 9457 problem details with a field path for each invalid parameter. Guide: docs/api.md.',
    ].join('\n'),
  },
  servers: [{ url: API_BASE }],
  security: [{ apiKey: [] }],
};

/** The routes, relative to API_BASE (the OpenAPI document's paths). */
export function createApiRoutes(deps: ApiDependencies, options: { limiter?: RateLimiter } = {}): ApiApp {
  const requireScope = createApiAuth({
    sql: deps.sql,
    limiter: options.limiter ?? new RateLimiter(),
    now: deps.now,
  });
  const app: ApiApp = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const status = result.target === 'json' ? 422 : 400;
      throw ApiProblem.invalid(status, fieldProblems(result.target, result.error));
    },
  });
  app.use('*', etags);
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: mo_<prefix>_<secret>',
  });

  const context = { ...deps, requireScope };
  registerRegistryRoutes(app, context);
  registerMeterDataRoutes(app, context);
  registerMetricsRoutes(app, context);
  registerIngestRoutes(app, context);
  registerWebhookRoutes(app, context);
  registerSettlementRoutes(app, context);

  app.doc31('/openapi.json', openApiInfo);
  app.get('/docs', (c) => {
    const nonce = /'nonce-([^']+)'/.exec(c.req.header('content-security-policy') ?? '')?.[1] ?? null;
    return c.html(referencePage(nonce));
  });
  app.get('/docs/scalar.js', async (c) => {
    c.header('content-type', 'text/javascript; charset=utf-8');
    c.header('cache-control', 'public, max-age=86400');
    return c.body(await scalarScript());
  });

  app.onError(handleError);
  return app;
}

/** The API mounted at API_BASE, as the route handler serves it. */
export function createApiApp(deps: ApiDependencies, options: { limiter?: RateLimiter } = {}): ApiApp {
  const root: ApiApp = new OpenAPIHono<ApiEnv>();
  root.route(API_BASE, createApiRoutes(deps, options));
  root.notFound((c) =>
    problemResponse(problem('not-found', 404, `No endpoint ${c.req.method} ${c.req.path}.`)),
  );
  root.onError(handleError);
  return root;
}

function handleError(error: Error): Response {
  {
    if (error instanceof ApiProblem) return problemResponse(error.problem);
    if (error instanceof SyntaxError)
      return problemResponse(
        problem('invalid-request', 400, 'The body is not JSON.', [
          { in: 'body', path: '/', message: error.message },
        ]),
      );
    if (fieldRefusals.has(error.name)) {
      const field = (error as { field?: unknown }).field;
      return problemResponse(
        problem('invalid-request', 422, error.message, [
          bodyFieldProblem(typeof field === 'string' ? field : '', error.message),
        ]),
      );
    }
    const code = errorCode(error);
    if (code === '23505' || code === '23503' || code === '40001' || code === '40P01')
      return problemResponse(
        problem('conflict', 409, 'The change conflicts with the stored data; read it again and retry.'),
      );
    if (error.name.startsWith('KafkaJS') || code === 'ECONNREFUSED')
      return problemResponse(
        problem('unavailable', 503, 'A service the API depends on is unavailable; retry later.'),
        {
          'retry-after': '5',
        },
      );
    console.error('API request failed', error);
    return problemResponse(problem('internal', 500, 'The request failed; it has been logged.'));
  }
}
