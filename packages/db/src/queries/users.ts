/**
 * Administration of the portal's users. Passwords arrive here already hashed (`hashPassword` of
 * ../password); the hash never leaves this module.
 */
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import { customers, sessions, users } from '../schema/index';
import type { Db, DbTransaction } from '../client';
import { recordStaffAction, type StaffActor } from './audit';
import { revokeUserSessions, type UserRole } from './auth';

export interface ManagedUser {
  id: string;
  email: string;
  name: string;
  role: UserRole;
  customerId: string | null;
  customerName: string | null;
  disabledAt: Date | null;
  /** A reset password the user has not replaced yet. */
  mustChangePassword: boolean;
  createdAt: Date;
  /** Start of the newest session still stored; null if the user has none. */
  lastSessionAt: Date | null;
}

const managedColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  role: users.role,
  customerId: users.customerId,
  customerName: customers.name,
  disabledAt: users.disabledAt,
  mustChangePassword: users.mustChangePassword,
  createdAt: users.createdAt,
};

export async function listUsers(db: Db): Promise<ManagedUser[]> {
  const lastSession = db
    .select({ userId: sessions.userId, at: sql<Date>`max(${sessions.createdAt})`.as('at') })
    .from(sessions)
    .groupBy(sessions.userId)
    .as('last_session');
  const rows = await db
    .select({ ...managedColumns, lastSessionAt: lastSession.at })
    .from(users)
    .leftJoin(customers, eq(customers.id, users.customerId))
    .leftJoin(lastSession, eq(lastSession.userId, users.id))
    .orderBy(asc(users.role), asc(users.email));
  // The subquery's max() arrives as text through drizzle's raw column.
  return rows.map((row) => ({
    ...row,
    lastSessionAt: row.lastSessionAt === null ? null : new Date(row.lastSessionAt),
  }));
}

export async function getManagedUser(db: Db, params: { id: string }): Promise<ManagedUser | null> {
  const [row] = await db
    .select({ ...managedColumns, lastSessionAt: sql<null>`null` })
    .from(users)
    .leftJoin(customers, eq(customers.id, users.customerId))
    .where(eq(users.id, params.id));
  return row ?? null;
}

export async function customerExists(db: Db, params: { customerId: string }): Promise<boolean> {
  const [row] = await db
    .select({ id: customers.id })
    .from(customers)
    .where(eq(customers.id, params.customerId));
  return row !== undefined;
}

export async function emailTaken(db: Db, params: { email: string }): Promise<boolean> {
  const [row] = await db.select({ id: users.id }).from(users).where(eq(users.email, params.email));
  return row !== undefined;
}

/** Emails are stored lower-case, as sign-in looks them up. */
export async function createUser(
  db: Db | DbTransaction,
  params: {
    email: string;
    name: string;
    passwordHash: string;
    role: UserRole;
    customerId: string | null;
    mustChangePassword?: boolean;
  },
): Promise<{ id: string }> {
  const [row] = await db
    .insert(users)
    .values({ ...params, email: params.email.toLowerCase() })
    .returning({ id: users.id });
  if (row === undefined) throw new Error('insert into users returned no row');
  return row;
}

export type UserChange =
  { kind: 'role'; role: UserRole; customerId: string | null } | { kind: 'disable' } | { kind: 'enable' };

/**
 * Changes a user's role (with the customer binding the role needs) or disables or enables them. Ending
 * the last enabled administrator is refused (returns 'last_admin'), counted inside the transaction under
 * a lock on the administrators, so two admins demoting each other at once cannot both succeed. Disabling,
 * and a change of role or customer, also end the user's sessions. Each change is recorded in the staff
 * audit trail in the same transaction; setting what already holds changes and records nothing.
 */
export async function changeUser(
  db: Db,
  params: { id: string; change: UserChange; actor: StaffActor },
): Promise<'changed' | 'not_found' | 'last_admin'> {
  return db.transaction(async (tx) => {
    const admins = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
      .for('update');
    const [target] = await tx
      .select({
        id: users.id,
        email: users.email,
        role: users.role,
        customerId: users.customerId,
        disabledAt: users.disabledAt,
      })
      .from(users)
      .where(eq(users.id, params.id))
      .for('update');
    if (target === undefined) return 'not_found';
    const { change } = params;
    const endsAdmin =
      admins.some((admin) => admin.id === target.id) &&
      (change.kind === 'disable' || (change.kind === 'role' && change.role !== 'admin'));
    if (endsAdmin && admins.length <= 1) return 'last_admin';
    const audit = { actor: params.actor, targetType: 'user' as const, targetId: target.id };
    if (change.kind === 'role') {
      if (target.role === change.role && target.customerId === change.customerId) return 'changed';
      await tx
        .update(users)
        .set({ role: change.role, customerId: change.customerId })
        .where(eq(users.id, params.id));
      // A session opened under the old role ends: the user signs in again under the new one, so no page or
      // request already in flight keeps what the old role could see.
      const sessionsEnded = await revokeUserSessions(tx, params.id);
      await recordStaffAction(tx, {
        ...audit,
        action: 'user.role_changed',
        details: {
          email: target.email,
          from: { role: target.role, customerId: target.customerId },
          to: { role: change.role, customerId: change.customerId },
          sessionsEnded,
        },
      });
    } else if (change.kind === 'disable') {
      if (target.disabledAt !== null) return 'changed';
      await tx.update(users).set({ disabledAt: new Date() }).where(eq(users.id, params.id));
      const sessionsEnded = await revokeUserSessions(tx, params.id);
      await recordStaffAction(tx, {
        ...audit,
        action: 'user.disabled',
        details: { email: target.email, sessionsEnded },
      });
    } else {
      if (target.disabledAt === null) return 'changed';
      await tx.update(users).set({ disabledAt: null }).where(eq(users.id, params.id));
      await recordStaffAction(tx, { ...audit, action: 'user.enabled', details: { email: target.email } });
    }
    return 'changed';
  });
}

/**
 * Replaces a user's password and ends all their sessions. `mustChangePassword` is true for an
 * administrator's reset (a temporary password the user must replace at the next sign-in) and false when
 * the user chose the password. The password is stored before the sessions are revoked, so that no
 * session can be started with the old password after the revocation. Returns false for an unknown user.
 */
export async function setPassword(
  db: Db | DbTransaction,
  params: { userId: string; passwordHash: string; mustChangePassword: boolean },
): Promise<boolean> {
  const updated = await db
    .update(users)
    .set({ passwordHash: params.passwordHash, mustChangePassword: params.mustChangePassword })
    .where(eq(users.id, params.userId))
    .returning({ id: users.id });
  if (updated.length === 0) return false;
  await revokeUserSessions(db, params.userId);
  return true;
}

/** Users per role, enabled ones only, for the administration overview. */
export async function countUsersByRole(db: Db): Promise<{ role: UserRole; count: number }[]> {
  return db
    .select({ role: users.role, count: count() })
    .from(users)
    .where(isNull(users.disabledAt))
    .groupBy(users.role)
    .orderBy(asc(users.role));
}
