CREATE TYPE "public"."meter_status" AS ENUM('active', 'inactive', 'removed');--> statement-breakpoint
CREATE TYPE "public"."segment" AS ENUM('residential', 'commercial');--> statement-breakpoint
CREATE TYPE "public"."tariff_kind" AS ENUM('flat', 'time_of_use');--> statement-breakpoint
CREATE TYPE "public"."reading_quality" AS ENUM('actual', 'estimated', 'edited');--> statement-breakpoint
CREATE TYPE "public"."revision_source" AS ENUM('meter_resend', 'agent', 'estimation', 'reprocess', 'review');--> statement-breakpoint
CREATE TYPE "public"."aggregate_status" AS ENUM('provisional', 'final');--> statement-breakpoint
CREATE TYPE "public"."usage_dimension" AS ENUM('region', 'segment', 'tariff');--> statement-breakpoint
CREATE TYPE "public"."user_role" AS ENUM('operator', 'agent', 'admin', 'customer');--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"region" text NOT NULL,
	"segment" "segment" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meters" (
	"id" text PRIMARY KEY NOT NULL,
	"customer_id" text NOT NULL,
	"region" text NOT NULL,
	"segment" "segment" NOT NULL,
	"tariff_id" text NOT NULL,
	"interval_minutes" smallint NOT NULL,
	"time_zone" text NOT NULL,
	"multiplier" numeric(10, 3) DEFAULT 1 NOT NULL,
	"max_kwh_per_interval" numeric(12, 4) NOT NULL,
	"status" "meter_status" DEFAULT 'active' NOT NULL,
	"installed_at" timestamp with time zone NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "meters_interval_minutes_check" CHECK ("meters"."interval_minutes" in (15, 30))
);
--> statement-breakpoint
CREATE TABLE "tariffs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" "tariff_kind" NOT NULL,
	"base_price_per_kwh" numeric(10, 5) NOT NULL,
	"windows" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reading_revisions" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"meter_id" text NOT NULL,
	"interval_start" timestamp with time zone NOT NULL,
	"old_kwh" numeric(14, 4),
	"new_kwh" numeric(14, 4) NOT NULL,
	"old_quality" "reading_quality",
	"new_quality" "reading_quality" NOT NULL,
	"old_version" integer,
	"new_version" integer NOT NULL,
	"source" "revision_source" NOT NULL,
	"reason" text NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "readings" (
	"meter_id" text NOT NULL,
	"interval_start" timestamp with time zone NOT NULL,
	"kwh" numeric(14, 4) NOT NULL,
	"quality" "reading_quality" NOT NULL,
	"estimation_method" text,
	"flags" text[] DEFAULT '{}'::text[] NOT NULL,
	"source" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revised_at" timestamp with time zone,
	CONSTRAINT "readings_pkey" PRIMARY KEY("meter_id","interval_start")
) PARTITION BY RANGE ("interval_start");
--> statement-breakpoint
CREATE TABLE "rejected_readings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"kafka_offset" bigint NOT NULL,
	"item_index" integer NOT NULL,
	"message_key" text,
	"meter_id" text,
	"interval_start" timestamp with time zone,
	"rule" text NOT NULL,
	"detail" text NOT NULL,
	"payload" text NOT NULL,
	"kafka_timestamp" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolution" text DEFAULT 'open' NOT NULL,
	"resolved_by" text,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dimension_usage_daily" (
	"day" date NOT NULL,
	"dimension" "usage_dimension" NOT NULL,
	"key" text NOT NULL,
	"kwh" numeric(18, 4) DEFAULT '0' NOT NULL,
	"expected_intervals" integer DEFAULT 0 NOT NULL,
	"actual_intervals" integer DEFAULT 0 NOT NULL,
	"estimated_intervals" integer DEFAULT 0 NOT NULL,
	"edited_intervals" integer DEFAULT 0 NOT NULL,
	"status" "aggregate_status" DEFAULT 'provisional' NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dimension_usage_daily_pkey" PRIMARY KEY("day","dimension","key")
);
--> statement-breakpoint
CREATE TABLE "meter_usage_daily" (
	"meter_id" text NOT NULL,
	"day" date NOT NULL,
	"kwh" numeric(18, 4) DEFAULT '0' NOT NULL,
	"expected_intervals" integer DEFAULT 0 NOT NULL,
	"actual_intervals" integer DEFAULT 0 NOT NULL,
	"estimated_intervals" integer DEFAULT 0 NOT NULL,
	"edited_intervals" integer DEFAULT 0 NOT NULL,
	"status" "aggregate_status" DEFAULT 'provisional' NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"flagged_intervals" integer DEFAULT 0 NOT NULL,
	"final_version" integer DEFAULT 0 NOT NULL,
	"finalized_at" timestamp with time zone,
	CONSTRAINT "meter_usage_daily_pkey" PRIMARY KEY("meter_id","day")
);
--> statement-breakpoint
CREATE TABLE "meter_usage_hourly" (
	"meter_id" text NOT NULL,
	"hour_start" timestamp with time zone NOT NULL,
	"kwh" numeric(18, 4) DEFAULT '0' NOT NULL,
	"expected_intervals" integer DEFAULT 0 NOT NULL,
	"actual_intervals" integer DEFAULT 0 NOT NULL,
	"estimated_intervals" integer DEFAULT 0 NOT NULL,
	"edited_intervals" integer DEFAULT 0 NOT NULL,
	"status" "aggregate_status" DEFAULT 'provisional' NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "meter_usage_hourly_pkey" PRIMARY KEY("meter_id","hour_start")
);
--> statement-breakpoint
CREATE TABLE "reprocess_queue" (
	"meter_id" text NOT NULL,
	"day" date NOT NULL,
	"reason" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reprocess_queue_pkey" PRIMARY KEY("meter_id","day")
);
--> statement-breakpoint
CREATE TABLE "settlement_period_usage" (
	"region" text NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"kwh" numeric(18, 4) DEFAULT '0' NOT NULL,
	"expected_intervals" integer DEFAULT 0 NOT NULL,
	"actual_intervals" integer DEFAULT 0 NOT NULL,
	"estimated_intervals" integer DEFAULT 0 NOT NULL,
	"edited_intervals" integer DEFAULT 0 NOT NULL,
	"status" "aggregate_status" DEFAULT 'provisional' NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "settlement_period_usage_pkey" PRIMARY KEY("region","period_start")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sign_in_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"client_address" text NOT NULL,
	"succeeded" boolean NOT NULL,
	"attempted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" "user_role" NOT NULL,
	"customer_id" text,
	"disabled_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_email_key" UNIQUE("email"),
	CONSTRAINT "users_customer_binding_check" CHECK (("users"."role" = 'customer') = ("users"."customer_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "meters" ADD CONSTRAINT "meters_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meters" ADD CONSTRAINT "meters_tariff_id_tariffs_id_fk" FOREIGN KEY ("tariff_id") REFERENCES "public"."tariffs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "customers_region_idx" ON "customers" USING btree ("region");--> statement-breakpoint
CREATE INDEX "meters_customer_idx" ON "meters" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "meters_region_segment_idx" ON "meters" USING btree ("region","segment");--> statement-breakpoint
CREATE INDEX "reading_revisions_meter_interval_idx" ON "reading_revisions" USING btree ("meter_id","interval_start");--> statement-breakpoint
CREATE UNIQUE INDEX "rejected_readings_position_idx" ON "rejected_readings" USING btree ("topic","partition","kafka_offset","item_index");--> statement-breakpoint
CREATE INDEX "rejected_readings_rule_received_idx" ON "rejected_readings" USING btree ("rule","received_at");--> statement-breakpoint
CREATE INDEX "rejected_readings_meter_idx" ON "rejected_readings" USING btree ("meter_id");--> statement-breakpoint
CREATE INDEX "meter_usage_daily_day_idx" ON "meter_usage_daily" USING btree ("day");--> statement-breakpoint
CREATE INDEX "settlement_period_usage_period_idx" ON "settlement_period_usage" USING btree ("period_start");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "sign_in_attempts_email_idx" ON "sign_in_attempts" USING btree ("email","attempted_at");--> statement-breakpoint
CREATE INDEX "sign_in_attempts_address_idx" ON "sign_in_attempts" USING btree ("client_address","attempted_at");