ALTER TABLE "meter_usage_daily" ADD COLUMN "actual_by_d1_intervals" integer;--> statement-breakpoint
ALTER TABLE "meter_usage_daily" ADD COLUMN "actual_by_d5_intervals" integer;