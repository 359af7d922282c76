/**
 * `npm run apikeys -- create|list|revoke …`: API keys of the REST API from a shell, as the portal's
 * /admin/api-keys makes them (same input rules, same staff audit, actor `cli:<os user>`).
 *
 *   npm run apikeys -- create --name "Billing export" --scope usage:read [--scope …] [--customer ID]
 *                            [--expires 2027-01-01T00:00:00Z] [--rate-limit 600]
 *   npm run apikeys -- list
 *   npm run apikeys -- revoke <key id or prefix>
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createApiKeySchema } from '@meterops/domain/api-keys';
import { createDb } from '../client';
import { ApiKeyError, createApiKey, listApiKeys, revokeApiKey } from '../queries/api-keys';

const usage = `usage:
  npm run apikeys -- create --name NAME --scope SCOPE [--scope SCOPE …] [--customer ID] [--expires INSTANT] [--rate-limit N]
  npm run apikeys -- list
  npm run apikeys -- revoke <key id or prefix>`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    scope: { type: 'string', multiple: true, default: [] },
    customer: { type: 'string' },
    expires: { type: 'string' },
    'rate-limit': { type: 'string' },
  },
});
const [command, target] = positionals;
/** The command-line option of each input field, for messages. */
const options: Record<string, string> = {
  name: 'name',
  scopes: 'scope',
  customerId: 'customer',
  expiresAt: 'expires',
  rateLimitPerMinute: 'rate-limit',
};
const option = (field: PropertyKey | undefined) => `--${options[String(field)] ?? String(field)}`;
const actor = { userId: null, label: `cli:${userInfo().username}`, clientAddress: null };
const { db, close } = createDb({ applicationName: 'meterops-apikeys' });

try {
  if (command === 'create' && positionals.length === 1) {
    const parsed = createApiKeySchema.safeParse({
      name: values.name ?? '',
      scopes: values.scope.flatMap((scope) => scope.split(',')).map((scope) => scope.trim()),
      customerId: values.customer ?? null,
      expiresAt: values.expires === undefined ? null : new Date(values.expires),
      rateLimitPerMinute: values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']),
    });
    if (!parsed.success) {
      fail(
        `${parsed.error.issues.map((issue) => `${option(issue.path[0])}: ${issue.message}`).join('\n')}\n${usage}`,
      );
    }
    const { key, secret } = await createApiKey(db, {
      ...parsed.data,
      customerId: parsed.data.customerId || null,
      expiresAt: parsed.data.expiresAt ?? null,
      actor,
    });
    console.log(`created API key ${key.id} (${key.name}), scopes ${key.scopes.join(', ')}`);
    console.log('the key (shown once; only its SHA-256 is stored):');
    console.log(secret);
  } else if (command === 'list' && positionals.length === 1) {
    const keys = await listApiKeys(db);
    if (keys.length === 0) console.log('no API keys');
    for (const key of keys) {
      const state = key.revokedAt
        ? `revoked ${key.revokedAt.toISOString()}`
        : key.expiresAt && key.expiresAt <= new Date()
          ? `expired ${key.expiresAt.toISOString()}`
          : 'active';
      console.log(
        [
          key.id,
          `mo_${key.prefix}_…`,
          JSON.stringify(key.name),
          key.scopes.join(','),
          key.customerId ? `customer ${key.customerId}` : 'all customers',
          `${key.rateLimitPerMinute}/min`,
          state,
          `last used ${key.lastUsedAt?.toISOString() ?? 'never'}`,
        ].join('  '),
      );
    }
  } else if (command === 'revoke' && target !== undefined && positionals.length === 2) {
    const keys = await listApiKeys(db);
    const key = keys.find(
      (candidate) => candidate.id === target || candidate.prefix === target.replace(/^mo_|_.*$/g, ''),
    );
    if (key === undefined) fail(`there is no API key ${target}`);
    const revoked = await revokeApiKey(db, { id: key.id, actor });
    console.log(`revoked API key ${key.id} (${key.name}) at ${revoked?.revokedAt?.toISOString() ?? '?'}`);
  } else {
    fail(usage);
  }
} catch (error) {
  if (error instanceof ApiKeyError) fail(`${option(error.field)}: ${error.message}`);
  throw error;
} finally {
  await close();
}
