/**
 * API keys of the REST API: their scopes, the shape of a key, and the input that creates one (shared by
 * the portal's procedure and form and by `npm run apikeys`). Pure; safe for client components.
 *
 * A key reads `mo_<prefix>_<secret>`: the prefix (12 hex characters) is public and finds the key's row;
 * the secret is 32 random bytes (base64url). Only the SHA-256 of the whole key is stored. A fast hash is
 * enough here, unlike for passwords: a 256-bit random secret cannot be guessed, so there is nothing for a
 * slow hash to slow down, and every API request can check its key without spending 50 ms of CPU.
 */
import { z } from 'zod';

export const apiScopes = [
  'usage:read',
  'readings:read',
  'readings:write',
  'registry:read',
  'registry:write',
  'metrics:read',
  'webhooks:read',
  'webhooks:write',
  'settlement:read',
] as const;
export type ApiScope = (typeof apiScopes)[number];

export const apiScopeDescriptions: Record<ApiScope, string> = {
  'usage:read': 'Daily and monthly usage per meter (billing)',
  'readings:read': 'Interval readings and their revision history',
  'readings:write': 'Deliver readings over HTTP (POST /readings) and look up their outcome',
  'registry:read': 'Meters, customers, tariffs and billing periods',
  'registry:write': 'Create, update and deactivate registry entries',
  'metrics:read': 'Completeness, consumption by region/segment/tariff, settlement periods',
  'webhooks:read': 'Webhook subscriptions and their delivery log',
  'webhooks:write': 'Create, change and disable webhook subscriptions',
  'settlement:read': 'Settlement runs, their supplier totals and differences, settlement files (CSV)',
};

/** Scopes a key bound to one customer may carry: only that customer's own data, read-only. */
export const customerKeyScopes: readonly ApiScope[] = ['usage:read', 'readings:read'];

export const API_KEY_PATTERN = /^mo_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

/** The prefix of a well-formed key; null for anything else. */
export function apiKeyPrefix(key: string): string | null {
  return API_KEY_PATTERN.exec(key)?.[1] ?? null;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

const customerIdSchema = z
  .string()
  .trim()
  .max(64)
  .regex(/^[A-Za-z0-9._:-]*$/, 'Letters, digits and . _ : - only');

export const createApiKeySchema = z
  .object({
    name: z.string().trim().min(1, 'Name the key (who uses it, for what)').max(100, 'At most 100 characters'),
    scopes: z
      .array(z.enum(apiScopes, { error: `One of ${apiScopes.join(', ')}` }))
      .min(1, 'Pick at least one scope')
      .refine((scopes) => new Set(scopes).size === scopes.length, 'Each scope once'),
    /** Empty or absent: the key reaches every customer (within its scopes). */
    customerId: customerIdSchema.nullish(),
    /** Absent: the key does not expire. */
    expiresAt: z
      .date({ error: 'A date and time' })
      .refine((at) => at.getTime() > Date.now(), 'Must be in the future')
      .nullish(),
    rateLimitPerMinute: z
      .number({ error: 'A whole number of requests' })
      .int('A whole number of requests')
      .min(1, 'At least 1')
      .max(100_000, 'At most 100000')
      .default(DEFAULT_RATE_LIMIT_PER_MINUTE),
  })
  .superRefine((input, ctx) => {
    if (input.customerId) {
      const extra = input.scopes.filter((scope) => !customerKeyScopes.includes(scope));
      if (extra.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['scopes'],
          message: `A key bound to a customer may only read its usage and readings, not ${extra.join(', ')}`,
        });
      }
    }
  });

export type CreateApiKeyInput = z.input<typeof createApiKeySchema>;
