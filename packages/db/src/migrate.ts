import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { createDb } from './client';

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/** The role that owns the schema (migration 0008); objects made by later migrations must belong to it. */
export const OWNER_ROLE = 'meterops_owner';

/**
 * Applies every committed migration not yet applied; safe to run again. Once the owner role exists and
 * the connecting user may act as it, the migrations run as that role, so that new tables belong to it
 * and its default privileges grant them to the app roles. Before that (a database that migration 0008 has not
 * handed over yet), they run as the connecting user.
 */
export async function runMigrations(url?: string): Promise<void> {
  // One connection: the SET ROLE below must hold for the statements the migrator sends.
  const { db, close } = createDb({ url, max: 1, applicationName: 'meterops-migrate' });
  try {
    // Roles are cluster-wide: the owner may exist while this database has not been handed over yet.
    const [row] = await db.execute<{ can_become_owner: boolean }>(sql`
      select coalesce(pg_has_role(current_user, owner.oid, 'MEMBER'), false) as can_become_owner
      from pg_roles owner join pg_namespace migrations on migrations.nspowner = owner.oid
      where owner.rolname = ${OWNER_ROLE} and migrations.nspname = 'drizzle'`);
    if (row?.can_become_owner) await db.execute(sql.raw(`set role ${OWNER_ROLE}`));
    await migrate(db, { migrationsFolder });
  } finally {
    await close();
  }
}
