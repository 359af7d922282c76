/**
 * The one place the web app reads `process.env`. Defaults are those of docs/architecture.md
 * ("Configuration"); an empty variable counts as unset.
 *
 * Every value has a default, so `next build` succeeds without any service or variable configured.
 */
import { archiveEnvShape } from '@meterops/archive/config';
import { z } from 'zod';

const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);

const hostPort = z.string().regex(/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'expected host:port');

const schema = z.object({
  NODE_ENV: z.preprocess(unsetIfEmpty, z.enum(['development', 'production', 'test']).default('development')),
  DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/meterops'),
  ),
  KAFKA_BROKERS: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default('127.0.0.1:9092')
      .transform((list) =>
        list
          .split(',')
          .map((broker) => broker.trim())
          .filter(Boolean),
      )
      .pipe(z.array(hostPort).min(1)),
  ),
  INFLUX_URL: z.preprocess(
    unsetIfEmpty,
    z
      .url({ protocol: /^https?$/ })
      .default('http://127.0.0.1:8086')
      // A trailing slash would turn `${url}/ping` into `//ping`.
      .transform((url) => url.replace(/\/+$/, '')),
  ),
  INFLUX_DB: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('meterops'),
  ),
  INFLUX_TOKEN: z.preprocess(unsetIfEmpty, z.string().optional()),
  /** `Secure` on the session cookie; off by default because the local stack serves plain http. */
  SESSION_COOKIE_SECURE: z.preprocess(unsetIfEmpty, z.stringbool().default(false)),
  /** Where archived months of raw readings are read from (see @meterops/archive). */
  ...archiveEnvShape,
});

export type WebEnv = z.infer<typeof schema>;

function load(): WebEnv {
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid environment for the web app:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export const env = load();
