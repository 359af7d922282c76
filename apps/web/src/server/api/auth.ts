/**
 * Authentication of the REST API: `Authorization: Bearer <key>`, the key's scopes, its rate limit, and
 * its last use (written at most about once a minute per key and process, never once per request).
 */
import { createMiddleware } from 'hono/factory';
import type { Sql } from '@meterops/db/client';
import { checkApiKey, recordApiKeyUse, type ApiKeyRow } from '@meterops/db/queries/api-keys';
import type { ApiScope } from '@meterops/domain/api-keys';
import { problem, problemResponse } from './problem';
import type { RateLimiter } from './rate-limit';

export interface ApiEnv {
  Variables: { apiKey: ApiKeyRow };
}

const USE_RECORD_INTERVAL_MS = 60_000;

export interface ApiAuth {
  sql: Sql;
  limiter: RateLimiter;
  now: () => Date;
}

export function createApiAuth(deps: ApiAuth) {
  const lastRecorded = new Map<string, number>();

  function recordUse(key: ApiKeyRow, now: Date): void {
    const last = lastRecorded.get(key.id) ?? key.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last < USE_RECORD_INTERVAL_MS) return;
    lastRecorded.set(key.id, now.getTime());
    // Best effort: a failed stamp must not fail the request it describes.
    recordApiKeyUse(deps.sql, { id: key.id, at: now }).catch((error: unknown) =>
      console.error('recording an API key use failed', error),
    );
  }

  /** Authenticates the request and demands `scope`; 401, 403 or 429 as problem details otherwise. */
  return function requireScope(scope: ApiScope) {
    return createMiddleware<ApiEnv>(async (c, next) => {
      const header = c.req.header('authorization') ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const challenge = { 'www-authenticate': 'Bearer realm="meterops"' };
      if (match?.[1] === undefined) {
        return problemResponse(
          problem('unauthorized', 401, 'Send an API key as "Authorization: Bearer <key>".'),
          challenge,
        );
      }
      const now = deps.now();
      const checked = await checkApiKey(deps.sql, { key: match[1], now });
      if (checked.kind !== 'valid') {
        const detail = {
          unknown: 'The API key is not valid.',
          expired: 'The API key has expired.',
          revoked: 'The API key was revoked.',
        }[checked.kind];
        return problemResponse(problem('unauthorized', 401, detail), {
          'www-authenticate': 'Bearer realm="meterops", error="invalid_token"',
        });
      }
      const { key } = checked;
      const wait = deps.limiter.take(key.id, key.rateLimitPerMinute, now.getTime());
      if (wait > 0) {
        return problemResponse(
          problem(
            'rate-limited',
            429,
            `This key may make ${key.rateLimitPerMinute} requests a minute; try again in ${wait} s.`,
          ),
          { 'retry-after': String(wait) },
        );
      }
      recordUse(key, now);
      if (!key.scopes.includes(scope)) {
        return problemResponse(
          problem('forbidden', 403, `This request needs the scope "${scope}", which the key does not have.`),
        );
      }
      c.set('apiKey', key);
      await next();
    });
  };
}

export type RequireScope = ReturnType<typeof createApiAuth>;
