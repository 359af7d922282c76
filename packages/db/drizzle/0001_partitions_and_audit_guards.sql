-- Monthly partitions of readings. Months are UTC calendar months of interval_start, so a partition's
-- bounds never depend on a meter's zone. The worker calls ensure_readings_partition for every month it
-- is about to write; the migration creates a window around today so a fresh database is ready.
CREATE FUNCTION ensure_readings_partition(month_start timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  lower_bound timestamptz := date_trunc('month', month_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  upper_bound timestamptz := (date_trunc('month', month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
  partition_name text := 'readings_' || to_char(lower_bound AT TIME ZONE 'UTC', 'YYYY_MM');
BEGIN
  IF to_regclass(partition_name) IS NULL THEN
    -- Two workers may race to create the same month; the advisory lock makes the loser wait and see it.
    PERFORM pg_advisory_xact_lock(hashtext(partition_name));
    IF to_regclass(partition_name) IS NULL THEN
      EXECUTE format(
        'CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
        partition_name, lower_bound, upper_bound
      );
    END IF;
  END IF;
  RETURN partition_name;
END;
$$;
--> statement-breakpoint
SELECT ensure_readings_partition(m)
FROM generate_series(
  date_trunc('month', now() AT TIME ZONE 'UTC') - interval '24 months',
  date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months',
  interval '1 month'
) AS m;
--> statement-breakpoint
-- The revision history is evidence: it can be appended to and read, never changed or removed.
CREATE FUNCTION refuse_revision_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'reading_revisions is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER reading_revisions_no_update_or_delete
  BEFORE UPDATE OR DELETE ON reading_revisions
  FOR EACH ROW EXECUTE FUNCTION refuse_revision_change();
--> statement-breakpoint
CREATE TRIGGER reading_revisions_no_truncate
  BEFORE TRUNCATE ON reading_revisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_revision_change();
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON reading_revisions FROM PUBLIC;
