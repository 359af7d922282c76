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
--> statement-breakpoint
-- Each worker process says how it is every few seconds: the status and pipeline pages read it to show a
-- stuck, paused or silent worker. A row whose updated_at is old belongs to a worker that stopped reporting.
CREATE TABLE "worker_heartbeats" (
	"worker_id" text PRIMARY KEY NOT NULL,
	"consumer_group" text NOT NULL,
	"host" text NOT NULL,
	"pid" integer NOT NULL,
	"state" text NOT NULL,
	"paused_reason" text,
	"paused_since" timestamp with time zone,
	"partitions" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"last_batch_at" timestamp with time zone,
	"last_fetch_at" timestamp with time zone,
	"consumer_restarts" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
-- A replay rewinds a consumer group's partitions to a past position: the stored position (ingest_offsets)
-- moves back here, and whichever worker owns the partition sees the gap and seeks Kafka to it, so the
-- group offsets and the stored positions move together. Counts accumulate in the batches' transactions.
CREATE TABLE "ingest_replays" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"consumer_group" text NOT NULL,
	"topic" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"from_spec" text NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"finished_at" timestamp with time zone,
	"records" bigint DEFAULT 0 NOT NULL,
	"inserted" bigint DEFAULT 0 NOT NULL,
	"revised" bigint DEFAULT 0 NOT NULL,
	"duplicates" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL
);--> statement-breakpoint
CREATE TABLE "ingest_replay_partitions" (
	"replay_id" bigint NOT NULL REFERENCES "ingest_replays"("id"),
	"partition" integer NOT NULL,
	"from_offset" bigint NOT NULL,
	"to_offset" bigint NOT NULL,
	CONSTRAINT "ingest_replay_partitions_pkey" PRIMARY KEY("replay_id","partition")
);
