/**
 * Global setup of the integration project: brings the configured database (DATABASE_URL) to the newest
 * migration before any test file runs. The worker's tests make databases of their own; the web app's use
 * the configured one, which on a fresh machine exists (the stack creates it) but has no tables yet.
 * Migrations are idempotent, so a database the demo already migrated is left as it is.
 */
import { runMigrations } from '@meterops/db/migrate';

export default async function setup(): Promise<void> {
  await runMigrations();
}
