import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/meterops'),
});

/** Database settings; the only place this package reads the environment. */
export const dbEnv = schema.parse(process.env);
