import type { StaffActor } from '@meterops/db/queries/audit';
import type { SessionUser } from '@meterops/db/queries/auth';

/** The signed-in staff user behind a request, as the audit trail records them. */
export function staffActor(ctx: { user: SessionUser; clientAddress: string }): StaffActor {
  return { userId: ctx.user.id, label: ctx.user.email, clientAddress: ctx.clientAddress };
}
