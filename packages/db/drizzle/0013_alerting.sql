-- Alerting: rules the worker evaluates, the alerts they raise (open and past), silences, notification
-- channels and the e-mail outbox. Rules are rows seeded here with their defaults; admins edit them.
CREATE TABLE "alert_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"severity" text NOT NULL,
	"for_seconds" integer NOT NULL,
	"clear_seconds" integer NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "alert_rules_severity_check" CHECK ("severity" in ('info', 'warning', 'critical')),
	CONSTRAINT "alert_rules_durations_check" CHECK ("for_seconds" >= 0 and "clear_seconds" >= 0)
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL REFERENCES "alert_rules"("id") ON DELETE CASCADE,
	"subject" text NOT NULL,
	"state" text NOT NULL,
	"severity" text NOT NULL,
	"summary" text NOT NULL,
	"value" double precision,
	"threshold" double precision,
	"link" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pending_since" timestamp with time zone NOT NULL,
	"fired_at" timestamp with time zone,
	"clearing_since" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"evaluated_at" timestamp with time zone NOT NULL,
	"silenced_by" bigint,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"acknowledge_note" text,
	CONSTRAINT "alerts_state_check" CHECK ("state" in ('pending', 'firing', 'resolved')),
	CONSTRAINT "alerts_fired_check" CHECK ("state" = 'pending' or "fired_at" is not null),
	CONSTRAINT "alerts_resolved_check" CHECK (("state" = 'resolved') = ("resolved_at" is not null))
);
--> statement-breakpoint
-- One open alert per rule and subject: two workers evaluating at once cannot fire it twice.
CREATE UNIQUE INDEX "alerts_open_idx" ON "alerts" ("rule_id", "subject") WHERE "state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "alerts_fired_idx" ON "alerts" ("fired_at");--> statement-breakpoint
CREATE INDEX "alerts_rule_idx" ON "alerts" ("rule_id", "fired_at");--> statement-breakpoint
CREATE TABLE "alert_silences" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"rule_id" text REFERENCES "alert_rules"("id") ON DELETE CASCADE,
	"subject" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_silences_window_check" CHECK ("ends_at" > "starts_at"),
	CONSTRAINT "alert_silences_scope_check" CHECK ("rule_id" is not null or "subject" is not null)
);
--> statement-breakpoint
CREATE INDEX "alert_silences_ends_idx" ON "alert_silences" ("ends_at");--> statement-breakpoint
CREATE TABLE "alert_channels" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"name" text NOT NULL UNIQUE,
	"kind" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"email_to" text[] DEFAULT '{}'::text[] NOT NULL,
	"webhook_endpoint_id" uuid REFERENCES "webhook_endpoints"("id"),
	"rule_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"min_severity" text DEFAULT 'warning' NOT NULL,
	"send_resolved" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_channels_kind_check" CHECK ("kind" in ('email', 'webhook')),
	CONSTRAINT "alert_channels_severity_check" CHECK ("min_severity" in ('info', 'warning', 'critical')),
	CONSTRAINT "alert_channels_target_check" CHECK (
		("kind" = 'email' and cardinality("email_to") > 0) or ("kind" = 'webhook' and "webhook_endpoint_id" is not null))
);
--> statement-breakpoint
-- The e-mail outbox: one row per alert event and channel, written in the evaluation's transaction and sent
-- (and retried) by a separate loop, so a slow or absent SMTP server never holds up evaluation.
CREATE TABLE "alert_notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"alert_id" bigint NOT NULL REFERENCES "alerts"("id") ON DELETE CASCADE,
	"channel_id" bigint NOT NULL REFERENCES "alert_channels"("id") ON DELETE CASCADE,
	"event" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_notifications_event_check" CHECK ("event" in ('fired', 'resolved')),
	CONSTRAINT "alert_notifications_status_check" CHECK ("status" in ('pending', 'sent', 'failed')),
	CONSTRAINT "alert_notifications_once" UNIQUE ("alert_id", "channel_id", "event")
);
--> statement-breakpoint
CREATE INDEX "alert_notifications_due_idx" ON "alert_notifications" ("next_attempt_at") WHERE "status" = 'pending';--> statement-breakpoint
INSERT INTO "alert_rules" ("id", "kind", "name", "severity", "for_seconds", "clear_seconds", "params") VALUES
	('consumer-stop', 'consumer_status', 'Consumer stopped (STOP)', 'critical', 0, 120, '{"status":"STOP","windowSeconds":300}'),
	('consumer-stall', 'consumer_status', 'Consumer stalled (STALL)', 'warning', 120, 120, '{"status":"STALL","windowSeconds":300}'),
	('consumer-lag-growing', 'consumer_status', 'Consumer lag growing (WARN)', 'warning', 300, 300, '{"status":"WARN","windowSeconds":300}'),
	('freshness', 'freshness', 'Data freshness', 'warning', 0, 60, '{"maxAgeSeconds":900}'),
	('worker-not-ready', 'worker_not_ready', 'Worker not ready', 'critical', 60, 60, '{"silentSeconds":30}'),
	('completeness-d1', 'completeness', 'Region completeness by D+1', 'warning', 0, 0, '{"targetPercent":99.8,"deadline":"D+1","lookbackDays":7}'),
	('completeness-d5', 'completeness', 'Region completeness by D+5', 'critical', 0, 0, '{"targetPercent":99.8,"deadline":"D+5","lookbackDays":14}'),
	('rejects', 'rejects', 'Rejects per rule', 'warning', 0, 600, '{"windowMinutes":60,"maxCount":500,"usualFactor":10,"usualMinCount":20,"baselineDays":7}'),
	('job-failed', 'job', 'Job failed or ran far longer than usual', 'warning', 0, 0, '{"lookbackHours":24,"durationFactor":3,"minRunningMinutes":10}'),
	('billing-alert', 'billing_alert', 'Billing alert raised', 'warning', 0, 0, '{}');
