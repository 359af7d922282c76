import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meterops'),
  /** In production the seed refuses to create the demo users (their password is published). */
  NODE_ENV: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.enum(['development', 'production', 'test']).default('development'),
  ),
});

/** Database settings; the only place this package reads the environment. */
export const dbEnv = schema.parse(process.env);
