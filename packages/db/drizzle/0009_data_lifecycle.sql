-- Months of readings moved to the Parquet archive. A month is served from the archive while dropped_at is
-- set (its partition is gone); restore clears dropped_at and stamps restored_at.
CREATE TABLE "archived_months" (
	"month" date PRIMARY KEY NOT NULL,
	"row_count" bigint NOT NULL,
	"kwh_sum" numeric(24, 4) NOT NULL,
	"revision_count" bigint NOT NULL,
	"manifest_location" text NOT NULL,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	"verified_at" timestamp with time zone,
	"dropped_at" timestamp with time zone,
	"restored_at" timestamp with time zone,
	CONSTRAINT "archived_months_first_day" CHECK (extract(day from "month") = 1)
);
--> statement-breakpoint
-- The revision history stays append-only, with one exception that keeps it evidence: the rows of a month
-- whose archive (which holds them, checksummed) was verified since its last restore may be deleted, and
-- only in the transaction that marks the month dropped. Updates and truncation are always refused.
CREATE OR REPLACE FUNCTION refuse_revision_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM archived_months a
    WHERE a.month = (date_trunc('month', OLD.interval_start AT TIME ZONE 'UTC'))::date
      AND a.dropped_at IS NOT NULL
      AND a.verified_at IS NOT NULL
      AND a.verified_at >= coalesce(a.restored_at, '-infinity'::timestamptz)
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'reading_revisions is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
-- Set when the archive retention removed the month's files; its aggregates stay in Postgres.
ALTER TABLE "archived_months" ADD COLUMN "purged_at" timestamp with time zone;
