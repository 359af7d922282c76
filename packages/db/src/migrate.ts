import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { createDb } from './client';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** Applies every committed migration not yet applied; safe to run again. */
export async function runMigrations(url?: string): Promise<void> {
  const { db, close } = createDb({ url, max: 1, applicationName: 'meterops-migrate' });
  try {
    await migrate(db, { migrationsFolder });
  } finally {
    await close();
  }
}
