-- The raw message value, byte for byte, for a rejection of the whole message: whatever its encoding,
-- NUL bytes or nesting depth. `payload` stays the readable text shown in the portal.
ALTER TABLE "rejected_readings" ADD COLUMN "payload_bytes" bytea;--> statement-breakpoint
-- Why an operator dismissed or re-drove a rejection (resolution, resolved_by and resolved_at say what, who, when).
ALTER TABLE "rejected_readings" ADD COLUMN "resolution_note" text;--> statement-breakpoint
-- Outbox for the dead-letter topic: null until the copy was acknowledged by Kafka, so a crash between the
-- Postgres commit and the send is caught up by the worker instead of losing the copy.
ALTER TABLE "rejected_readings" ADD COLUMN "dead_lettered_at" timestamp with time zone;--> statement-breakpoint
UPDATE "rejected_readings" SET "dead_lettered_at" = "received_at";--> statement-breakpoint
CREATE INDEX "rejected_readings_dead_letter_pending_idx" ON "rejected_readings" USING btree ("id") WHERE "dead_lettered_at" IS NULL;--> statement-breakpoint
CREATE INDEX "rejected_readings_resolution_idx" ON "rejected_readings" USING btree ("resolution","rule");
