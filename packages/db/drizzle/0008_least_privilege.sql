-- A password reset by an administrator (or a first admin created with a temporary password) must be
-- replaced by the user before anything else; while set, the web app refuses every other procedure.
ALTER TABLE "users" ADD COLUMN "must_change_password" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
-- Least privilege (docs/security-infra.md, "Database roles"). Roles are cluster-wide and one cluster
-- holds several MeterOps databases (tests, demo), so each is created only when missing; attributes are
-- set again in case a role of that name was made by hand with more than it should have.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'meterops_owner') THEN
    CREATE ROLE meterops_owner NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'meterops_web') THEN
    CREATE ROLE meterops_web LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'meterops_worker') THEN
    CREATE ROLE meterops_worker LOGIN;
  END IF;
END
$$;
--> statement-breakpoint
ALTER ROLE meterops_web NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
--> statement-breakpoint
ALTER ROLE meterops_worker NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
--> statement-breakpoint
ALTER ROLE meterops_owner NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
--> statement-breakpoint
-- The owner creates the objects of later migrations (the migrator switches to it, see src/migrate.ts),
-- including drizzle's own schema check, which needs CREATE on the database.
DO $$
BEGIN
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO meterops_web, meterops_worker', current_database());
  EXECUTE format('GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %I TO meterops_owner', current_database());
END
$$;
--> statement-breakpoint
-- Everything the earlier migrations created (as whoever ran them) now belongs to meterops_owner. Only
-- an owner (or a superuser) can ALTER, DROP, disable triggers or change ownership, so the app roles
-- can do none of that. Objects that belong to an extension stay with it.
DO $$
DECLARE
  item record;
BEGIN
  FOR item IN
    SELECT c.oid::regclass AS name, c.relkind
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'drizzle') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
  LOOP
    IF item.relkind = 'v' THEN
      EXECUTE format('ALTER VIEW %s OWNER TO meterops_owner', item.name);
    ELSIF item.relkind = 'm' THEN
      EXECUTE format('ALTER MATERIALIZED VIEW %s OWNER TO meterops_owner', item.name);
    ELSE
      EXECUTE format('ALTER TABLE %s OWNER TO meterops_owner', item.name);
    END IF;
  END LOOP;
  -- Sequences of serial columns moved with their tables; any other sequence moves here.
  FOR item IN
    SELECT c.oid::regclass AS name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('public', 'drizzle') AND c.relkind = 'S'
      AND c.relowner <> 'meterops_owner'::regrole
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('e', 'a', 'i'))
  LOOP
    EXECUTE format('ALTER SEQUENCE %s OWNER TO meterops_owner', item.name);
  END LOOP;
  FOR item IN
    SELECT p.oid::regprocedure AS name
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER ROUTINE %s OWNER TO meterops_owner', item.name);
  END LOOP;
  FOR item IN
    SELECT t.oid::regtype AS name
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
  LOOP
    EXECUTE format('ALTER TYPE %s OWNER TO meterops_owner', item.name);
  END LOOP;
END
$$;
--> statement-breakpoint
ALTER SCHEMA drizzle OWNER TO meterops_owner;
--> statement-breakpoint
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
--> statement-breakpoint
GRANT USAGE, CREATE ON SCHEMA public TO meterops_owner;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO meterops_web, meterops_worker;
--> statement-breakpoint
-- Data, not structure: rows of every table, and the sequences behind their ids.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO meterops_web, meterops_worker;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO meterops_web, meterops_worker;
--> statement-breakpoint
-- Tables and sequences the owner creates later (new migrations, readings partitions) get the same.
ALTER DEFAULT PRIVILEGES FOR ROLE meterops_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO meterops_web, meterops_worker;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES FOR ROLE meterops_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO meterops_web, meterops_worker;
--> statement-breakpoint
-- The revision history is appended to and read, never changed: no UPDATE, DELETE or TRUNCATE for
-- anyone but its owner, on top of the triggers of 0001 (which only an owner or superuser could bypass).
REVOKE UPDATE, DELETE, TRUNCATE ON reading_revisions FROM meterops_web, meterops_worker;
--> statement-breakpoint
-- The staff audit (0007) likewise: appended to by the web app, never changed.
REVOKE UPDATE, DELETE, TRUNCATE ON staff_audit FROM meterops_web, meterops_worker;
--> statement-breakpoint
-- The worker never reads accounts; it may only purge expired sessions and old sign-in attempts.
REVOKE ALL ON users FROM meterops_worker;
--> statement-breakpoint
REVOKE INSERT, UPDATE ON sessions, sign_in_attempts FROM meterops_worker;
--> statement-breakpoint
-- Ingest creates a month's partition when data for it arrives. Creating a partition takes ownership of
-- readings, which the worker must not have; this function runs as its owner instead, and does nothing
-- but create the partition named after the month. search_path is pinned so that a caller cannot
-- substitute its own `readings` or functions.
ALTER FUNCTION ensure_readings_partition(timestamptz) SECURITY DEFINER SET search_path = public, pg_temp;
--> statement-breakpoint
REVOKE EXECUTE ON FUNCTION ensure_readings_partition(timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION ensure_readings_partition(timestamptz) TO meterops_worker;
--> statement-breakpoint
-- pg-boss (the worker's job queue) keeps its tables in schema pgboss and creates a table per queue at
-- run time, so the worker owns that schema and nothing else; the worker starts pg-boss with
-- createSchema off, so it needs no CREATE on the database. A schema that pg-boss made earlier (as a
-- superuser) is handed over with everything in it.
DO $$
DECLARE
  item record;
BEGIN
  IF to_regnamespace('pgboss') IS NULL THEN
    CREATE SCHEMA pgboss AUTHORIZATION meterops_worker;
  ELSE
    ALTER SCHEMA pgboss OWNER TO meterops_worker;
    FOR item IN
      SELECT c.oid::regclass AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'pgboss' AND c.relkind IN ('r', 'p', 'v')
    LOOP
      EXECUTE format('ALTER TABLE %s OWNER TO meterops_worker', item.name);
    END LOOP;
    FOR item IN
      SELECT c.oid::regclass AS name
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'pgboss' AND c.relkind = 'S' AND c.relowner <> 'meterops_worker'::regrole
        AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
      EXECUTE format('ALTER SEQUENCE %s OWNER TO meterops_worker', item.name);
    END LOOP;
    FOR item IN
      SELECT p.oid::regprocedure AS name
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'pgboss'
    LOOP
      EXECUTE format('ALTER ROUTINE %s OWNER TO meterops_worker', item.name);
    END LOOP;
    FOR item IN
      SELECT t.oid::regtype AS name
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'pgboss' AND t.typtype IN ('e', 'd')
    LOOP
      EXECUTE format('ALTER TYPE %s OWNER TO meterops_worker', item.name);
    END LOOP;
  END IF;
END
$$;
--> statement-breakpoint
-- A worker still run as a superuser (WORKER_DATABASE_URL unset) creates queue tables owned by that
-- superuser; these grants let meterops_worker use them when the deployment switches over.
ALTER DEFAULT PRIVILEGES IN SCHEMA pgboss GRANT ALL ON TABLES TO meterops_worker;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA pgboss GRANT ALL ON SEQUENCES TO meterops_worker;
--> statement-breakpoint
-- Migrations after this one in the same run (drizzle applies all pending ones in one transaction) create
-- their objects as the owner, so they belong to it and its default privileges grant them to the app
-- roles; later runs switch to the owner before migrating (packages/db/src/migrate.ts).
DO $$
BEGIN
  IF pg_has_role(current_user, 'meterops_owner', 'MEMBER') THEN
    SET LOCAL ROLE meterops_owner;
  END IF;
END $$;
