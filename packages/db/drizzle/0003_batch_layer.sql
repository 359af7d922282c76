CREATE TYPE "public"."billing_alert_cause" AS ENUM('late_data', 'correction');--> statement-breakpoint
CREATE TYPE "public"."job_log_level" AS ENUM('debug', 'info', 'warn', 'error');--> statement-breakpoint
CREATE TYPE "public"."job_run_status" AS ENUM('queued', 'running', 'completed', 'failed', 'cancelled');--> statement-breakpoint
CREATE TABLE "billing_alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"meter_id" text NOT NULL,
	"day" date NOT NULL,
	"billing_period_id" bigint NOT NULL,
	"kwh_before" numeric(18, 4) NOT NULL,
	"kwh_after" numeric(18, 4) NOT NULL,
	"kwh_delta" numeric(18, 4) NOT NULL,
	"cause" "billing_alert_cause" NOT NULL,
	"revision_ids" bigint[] DEFAULT '{}'::bigint[] NOT NULL,
	"interval_starts" timestamp with time zone[] DEFAULT '{}'::timestamptz[] NOT NULL,
	"job_run_id" uuid,
	"raised_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_by" text,
	"acknowledged_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "billing_periods" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"meter_id" text,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"invoiced_at" timestamp with time zone,
	"invoiced_kwh" numeric(18, 4),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "billing_periods_range_check" CHECK ("billing_periods"."period_end" >= "billing_periods"."period_start")
);
--> statement-breakpoint
CREATE TABLE "vee_settings" (
	"name" text PRIMARY KEY NOT NULL,
	"value" double precision NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_run_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" "job_log_level" NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"pgboss_job_id" uuid,
	"name" text NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" "job_run_status" DEFAULT 'queued' NOT NULL,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer DEFAULT 0 NOT NULL,
	"progress_unit" text DEFAULT 'steps' NOT NULL,
	"started_by" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"result" jsonb,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancel_requested_at" timestamp with time zone,
	"cancel_requested_by" text,
	CONSTRAINT "job_runs_progress_check" CHECK ("job_runs"."progress_done" >= 0 and "job_runs"."progress_total" >= 0)
);
--> statement-breakpoint
ALTER TABLE "readings" ADD COLUMN "first_received_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "billing_alerts" ADD CONSTRAINT "billing_alerts_billing_period_id_billing_periods_id_fk" FOREIGN KEY ("billing_period_id") REFERENCES "public"."billing_periods"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_periods" ADD CONSTRAINT "billing_periods_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "billing_periods" ADD CONSTRAINT "billing_periods_meter_id_meters_id_fk" FOREIGN KEY ("meter_id") REFERENCES "public"."meters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_run_logs" ADD CONSTRAINT "job_run_logs_run_id_job_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."job_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "billing_alerts_open_idx" ON "billing_alerts" USING btree ("acknowledged_at","created_at");--> statement-breakpoint
CREATE INDEX "billing_alerts_meter_day_idx" ON "billing_alerts" USING btree ("meter_id","day");--> statement-breakpoint
CREATE INDEX "billing_alerts_period_idx" ON "billing_alerts" USING btree ("billing_period_id");--> statement-breakpoint
CREATE INDEX "billing_periods_customer_idx" ON "billing_periods" USING btree ("customer_id","period_start");--> statement-breakpoint
CREATE INDEX "billing_periods_meter_idx" ON "billing_periods" USING btree ("meter_id","period_start");--> statement-breakpoint
CREATE INDEX "job_run_logs_run_idx" ON "job_run_logs" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "job_runs_created_idx" ON "job_runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "job_runs_status_idx" ON "job_runs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "job_runs_name_idx" ON "job_runs" USING btree ("name","created_at");--> statement-breakpoint
CREATE INDEX "readings_interval_start_brin" ON "readings" USING brin ("interval_start");--> statement-breakpoint
-- Readings stored before first_received_at existed: a never-revised row was first received when it was
-- received; for a revised one the earliest revision is the closest bound the history keeps.
UPDATE "readings" SET "first_received_at" = "received_at" WHERE "revised_at" IS NULL;--> statement-breakpoint
UPDATE "readings" r SET "first_received_at" = least(r."received_at", v."first_change")
FROM (
  SELECT "meter_id", "interval_start", min("created_at") AS "first_change" FROM "reading_revisions"
  GROUP BY "meter_id", "interval_start"
) v
WHERE r."revised_at" IS NOT NULL AND v."meter_id" = r."meter_id" AND v."interval_start" = r."interval_start";
