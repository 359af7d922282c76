-- What staff did in the portal: role changes, disabling and enabling users, password resets, billing
-- alert acknowledgements, job starts and cancellations. No foreign key to users: the record outlives the
-- account it names, so the actor's email is kept beside the id.
CREATE TABLE "staff_audit" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" uuid,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"client_address" text
);
--> statement-breakpoint
CREATE INDEX "staff_audit_at_idx" ON "staff_audit" USING btree ("at");
--> statement-breakpoint
CREATE INDEX "staff_audit_actor_idx" ON "staff_audit" USING btree ("actor_id","at");
--> statement-breakpoint
CREATE INDEX "staff_audit_target_idx" ON "staff_audit" USING btree ("target_type","target_id","at");
--> statement-breakpoint
-- Evidence, like reading_revisions: rows can be appended and read, never changed or removed.
CREATE FUNCTION refuse_staff_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'staff_audit is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER staff_audit_no_update_or_delete
  BEFORE UPDATE OR DELETE ON staff_audit
  FOR EACH ROW EXECUTE FUNCTION refuse_staff_audit_change();
--> statement-breakpoint
CREATE TRIGGER staff_audit_no_truncate
  BEFORE TRUNCATE ON staff_audit
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_staff_audit_change();
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON staff_audit FROM PUBLIC;
--> statement-breakpoint
-- Housekeeping deletes sign-in attempts older than the throttling window by time alone.
CREATE INDEX "sign_in_attempts_attempted_at_idx" ON "sign_in_attempts" USING btree ("attempted_at");
--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "sessions" USING btree ("expires_at");
