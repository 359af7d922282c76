-- Outbound webhooks (docs/webhooks.md). An event is a row written in the transaction of its cause, with one
-- delivery row per subscribed endpoint; the worker's dispatcher sends deliveries apart from that
-- transaction, so ingest and the batch layer never wait on a receiver.
CREATE TYPE "public"."webhook_delivery_status" AS ENUM('pending', 'delivering', 'succeeded', 'failed');
--> statement-breakpoint
-- A receiver and what it subscribes to. The secret signs every body (Standard Webhooks); it is stored so
-- that the worker can sign, and shown to people once (docs/security.md). After a rotation the previous
-- secret signs too until previous_secret_expires_at, so a receiver can switch without a gap.
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"url" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"event_types" text[] DEFAULT '{}' NOT NULL,
	"filter_regions" text[] DEFAULT '{}' NOT NULL,
	"filter_segments" text[] DEFAULT '{}' NOT NULL,
	"filter_meter_ids" text[] DEFAULT '{}' NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_secret_format" CHECK ("secret" like 'whsec\_%')
);
--> statement-breakpoint
-- Every event published, in sequence (id) order; the body a receiver gets names it `evt_<id>`.
CREATE TABLE "outbound_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "outbound_events_type_idx" ON "outbound_events" USING btree ("type","id");
--> statement-breakpoint
-- One event to one endpoint. payload is the event's data as this endpoint receives it (narrowed to the
-- meters of its filter). attempts counts the attempts of this row; a manual redelivery of a finished
-- delivery is a new row naming the old one.
CREATE TABLE "webhook_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"endpoint_id" uuid NOT NULL REFERENCES "webhook_endpoints"("id") ON DELETE CASCADE,
	"event_id" bigint NOT NULL REFERENCES "outbound_events"("id") ON DELETE CASCADE,
	"payload" jsonb NOT NULL,
	"status" "webhook_delivery_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"last_status_code" integer,
	"last_error" text,
	"redelivery_of" bigint REFERENCES "webhook_deliveries"("id") ON DELETE SET NULL,
	"requested_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
-- The dispatcher's queue: the open deliveries of each endpoint in sequence order (the head is sent first).
CREATE INDEX "webhook_deliveries_open_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id")
  WHERE "status" IN ('pending', 'delivering');
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id");
--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_idx" ON "webhook_deliveries" USING btree ("event_id");
--> statement-breakpoint
-- Every attempt as it happened: the delivery log people read. Appended by the worker, never changed.
CREATE TABLE "webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" bigint NOT NULL REFERENCES "webhook_deliveries"("id") ON DELETE CASCADE,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"status_code" integer,
	"error" text,
	"response_body" text,
	"worker" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery_idx" ON "webhook_attempts" USING btree ("delivery_id","id");
--> statement-breakpoint
-- The web app reads the attempt log; only the worker appends to it, and nobody rewrites it.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "webhook_attempts" FROM meterops_web;
--> statement-breakpoint
REVOKE UPDATE, TRUNCATE ON "webhook_attempts" FROM meterops_worker;
--> statement-breakpoint
-- The worker reads endpoints to send to them; only the portal changes them.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "webhook_endpoints" FROM meterops_worker;
