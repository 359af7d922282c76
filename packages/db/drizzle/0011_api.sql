-- API keys of the REST API (/api/v1). The secret is 32 random bytes; only its SHA-256 is stored (a fast
-- hash suffices for a 256-bit random secret: there is nothing to guess, unlike a password). The prefix is
-- the public part of the key, for lookup by index and for recognising a key in the portal and in logs.
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" bytea NOT NULL,
	"scopes" text[] NOT NULL,
	"customer_id" text REFERENCES "customers"("id"),
	"rate_limit_per_minute" integer DEFAULT 600 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"created_by_id" uuid,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_prefix_unique" UNIQUE ("prefix"),
	CONSTRAINT "api_keys_scopes_check" CHECK (cardinality("scopes") > 0),
	CONSTRAINT "api_keys_rate_limit_check" CHECK ("rate_limit_per_minute" BETWEEN 1 AND 100000),
	CONSTRAINT "api_keys_hash_length" CHECK (octet_length("secret_hash") = 32)
);
--> statement-breakpoint
-- One row per POST /api/v1/readings: the Kafka position the message was published at, which is how its
-- outcome is found later (rejected_readings by topic, partition, offset and item; the ingest offset of the
-- partition tells whether the worker has applied it).
CREATE TABLE "api_reading_submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"api_key_id" uuid NOT NULL REFERENCES "api_keys"("id"),
	"meter_id" text NOT NULL,
	"interval_starts" timestamp with time zone[] NOT NULL,
	"topic" text NOT NULL,
	"partition" integer NOT NULL,
	"kafka_offset" bigint NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "api_reading_submissions_key_idx" ON "api_reading_submissions" ("api_key_id", "submitted_at");
--> statement-breakpoint
-- Submissions are a record of what was sent: the web app adds them and reads them, nothing rewrites them.
REVOKE UPDATE ON "api_reading_submissions" FROM meterops_web, meterops_worker;
