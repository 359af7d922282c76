-- Market participants and settlement runs (docs/settlement.md). Created as meterops_owner (the migrator
-- switches to it), so the default privileges of 0008 grant the app roles; the append-only tables take
-- UPDATE, DELETE and TRUNCATE back below.
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
CREATE TABLE "suppliers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deactivated_at" timestamp with time zone
);
--> statement-breakpoint
-- Which supplier a meter belongs to over time, kept bitemporally so a settlement run can be reproduced:
-- [valid_from, valid_to) are local days of the settlement market; recorded_at / retracted_at say when the
-- registry knew the row. A switch retracts the rows it replaces (never deletes them) and records new ones.
CREATE TABLE "meter_suppliers" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"meter_id" text NOT NULL REFERENCES "meters"("id"),
	"supplier_id" text NOT NULL REFERENCES "suppliers"("id"),
	"valid_from" date NOT NULL,
	"valid_to" date,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"recorded_by" text NOT NULL,
	"retracted_at" timestamp with time zone,
	CONSTRAINT "meter_suppliers_range_check" CHECK ("valid_to" IS NULL OR "valid_to" > "valid_from"),
	CONSTRAINT "meter_suppliers_no_overlap" EXCLUDE USING gist (
		"meter_id" WITH =, daterange("valid_from", "valid_to") WITH &&
	) WHERE ("retracted_at" IS NULL)
);
--> statement-breakpoint
CREATE INDEX "meter_suppliers_meter_idx" ON "meter_suppliers" ("meter_id", "valid_from");
--> statement-breakpoint
CREATE INDEX "meter_suppliers_supplier_idx" ON "meter_suppliers" ("supplier_id") WHERE "retracted_at" IS NULL;
--> statement-breakpoint
-- A registration row is evidence for the runs that used it: only its retraction may be stamped, once.
CREATE FUNCTION refuse_meter_supplier_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.retracted_at IS NULL AND NEW.retracted_at IS NOT NULL
     AND (NEW.id, NEW.meter_id, NEW.supplier_id, NEW.valid_from, NEW.valid_to, NEW.recorded_at, NEW.recorded_by)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.meter_id, OLD.supplier_id, OLD.valid_from, OLD.valid_to, OLD.recorded_at, OLD.recorded_by) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'meter_suppliers is append-only (only retracted_at may be set, once): % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER meter_suppliers_append_only
  BEFORE UPDATE OR DELETE ON meter_suppliers
  FOR EACH ROW EXECUTE FUNCTION refuse_meter_supplier_change();
--> statement-breakpoint
CREATE TRIGGER meter_suppliers_no_truncate
  BEFORE TRUNCATE ON meter_suppliers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_meter_supplier_change();
--> statement-breakpoint
REVOKE DELETE, TRUNCATE ON meter_suppliers FROM meterops_web, meterops_worker;
--> statement-breakpoint
-- A reading's value as of an instant, for a reading revised after it: the old value of the first revision
-- after the instant (reading_revisions records old and new values). Settlement calls it only for rows
-- whose revised_at is later than the instant; every other row's stored value is already the one it had.
CREATE FUNCTION reading_revision_after(p_meter_id text, p_interval_start timestamptz, p_as_of timestamptz)
RETURNS reading_revisions
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT v.* FROM reading_revisions v
  WHERE v.meter_id = p_meter_id AND v.interval_start = p_interval_start AND v.created_at > p_as_of
  ORDER BY v.created_at, v.id
  LIMIT 1
$$;
--> statement-breakpoint
CREATE TYPE "settlement_run_type" AS ENUM ('initial', 'r1', 'r2', 'rf');
--> statement-breakpoint
-- When each run type is due: days after the settlement day. The admin edits it.
CREATE TABLE "settlement_timetable" (
	"run_type" "settlement_run_type" PRIMARY KEY NOT NULL,
	"days_after" smallint NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_timetable_days_check" CHECK ("days_after" BETWEEN 0 AND 400)
);
--> statement-breakpoint
INSERT INTO "settlement_timetable" ("run_type", "days_after", "updated_by")
VALUES ('initial', 1, 'migration'), ('r1', 5, 'migration'), ('r2', 14, 'migration'), ('rf', 28, 'migration');
--> statement-breakpoint
CREATE TABLE "settlement_runs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"day" date NOT NULL,
	"region" text NOT NULL,
	"run_type" "settlement_run_type" NOT NULL,
	"version" integer NOT NULL,
	"as_of" timestamp with time zone NOT NULL,
	"time_zone" text NOT NULL,
	"day_start" timestamp with time zone NOT NULL,
	"day_end" timestamp with time zone NOT NULL,
	"periods" smallint NOT NULL,
	"meters" integer NOT NULL,
	"suppliers" integer NOT NULL,
	"readings" integer NOT NULL,
	"estimated_readings" integer NOT NULL,
	"kwh" numeric(18, 4) NOT NULL,
	"estimated_kwh" numeric(18, 4) NOT NULL,
	"region_kwh" numeric(18, 4) NOT NULL,
	"region_readings" integer NOT NULL,
	"previous_run_id" bigint REFERENCES "settlement_runs"("id"),
	"code_version" text NOT NULL,
	"job_run_id" uuid,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"duration_ms" integer NOT NULL,
	CONSTRAINT "settlement_runs_version_key" UNIQUE ("day", "region", "run_type", "version"),
	CONSTRAINT "settlement_runs_balanced" CHECK ("kwh" = "region_kwh" AND "readings" = "region_readings")
);
--> statement-breakpoint
CREATE INDEX "settlement_runs_day_region_idx" ON "settlement_runs" ("day", "region", "created_at");
--> statement-breakpoint
CREATE INDEX "settlement_runs_created_idx" ON "settlement_runs" ("created_at");
--> statement-breakpoint
CREATE TABLE "settlement_run_periods" (
	"run_id" bigint NOT NULL REFERENCES "settlement_runs"("id"),
	"supplier_id" text NOT NULL,
	"period" smallint NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"kwh" numeric(18, 4) NOT NULL,
	"estimated_kwh" numeric(18, 4) NOT NULL,
	"readings" integer NOT NULL,
	"estimated_readings" integer NOT NULL,
	CONSTRAINT "settlement_run_periods_pkey" PRIMARY KEY ("run_id", "supplier_id", "period")
);
--> statement-breakpoint
CREATE TABLE "settlement_run_differences" (
	"run_id" bigint NOT NULL REFERENCES "settlement_runs"("id"),
	"supplier_id" text NOT NULL,
	"period" smallint NOT NULL,
	"kwh_before" numeric(18, 4) NOT NULL,
	"kwh_after" numeric(18, 4) NOT NULL,
	"kwh_delta" numeric(18, 4) NOT NULL,
	CONSTRAINT "settlement_run_differences_pkey" PRIMARY KEY ("run_id", "supplier_id", "period")
);
--> statement-breakpoint
CREATE TABLE "settlement_run_causes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" bigint NOT NULL REFERENCES "settlement_runs"("id"),
	"meter_id" text NOT NULL,
	"interval_start" timestamp with time zone NOT NULL,
	"period" smallint NOT NULL,
	"supplier_before" text,
	"supplier_after" text,
	"kwh_before" numeric(14, 4),
	"kwh_after" numeric(14, 4),
	"quality_before" "reading_quality",
	"quality_after" "reading_quality",
	"cause" text NOT NULL,
	"revision_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX "settlement_run_causes_run_idx" ON "settlement_run_causes" ("run_id", "period");
--> statement-breakpoint
-- A run is a record the market was sent: appended and read, never changed or removed.
CREATE FUNCTION refuse_settlement_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
DO $$
DECLARE
  name text;
BEGIN
  FOREACH name IN ARRAY ARRAY['settlement_runs', 'settlement_run_periods', 'settlement_run_differences', 'settlement_run_causes'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION refuse_settlement_change()', name || '_append_only', name);
    EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION refuse_settlement_change()', name || '_no_truncate', name);
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM meterops_web, meterops_worker', name);
  END LOOP;
END;
$$;
