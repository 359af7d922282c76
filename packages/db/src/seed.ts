import { createRandom } from '@meterops/domain/random';
import { addDays } from '@meterops/domain/time';
import { sql as dsql } from 'drizzle-orm';
import type { Db } from './client';
import {
  customerIdFor,
  fleetRegions,
  fleetSuppliers,
  fleetTariffs,
  maxKwhPerInterval,
  meterIdFor,
  supplierIdFor,
} from './fleet';
import { dbEnv } from './env';
import { hashPassword } from './password';
import { billingPeriods, customers, meters, suppliers, tariffs, users } from './schema/index';

export interface SeedFleetOptions {
  meters: number;
  /** Same seed, same fleet: tests and benchmarks rely on it. */
  seed?: number;
  installedAt?: Date;
  onProgress?: (done: number, total: number) => void;
}

export interface FleetMeter {
  id: string;
  customerId: string;
  region: string;
  segment: 'residential' | 'commercial';
  tariffId: string;
  /** The supplier the meter is registered to from its installation day on. */
  supplierId: string;
  intervalMinutes: 15 | 30;
  timeZone: string;
  maxKwhPerInterval: number;
  installedAt: Date;
  status: 'active' | 'removed';
  removedAt: Date | null;
}

/** One meter in 50 has been removed from its premises, so even a small fleet has one that must not report. */
const isRemoved = (index: number) => index % 50 === 7;
const removedAt = new Date('2025-06-01T00:00:00Z');

const chunkSize = 2_000;

/**
 * The fleet for `count` meters: 85% residential (a third of them on 15-minute intervals, the rest on
 * 30), 15% commercial on 15 minutes, one customer per meter. Regions follow fleetRegions' weights.
 */
export function planFleet(
  count: number,
  seed = 42,
  installedAt = new Date('2024-01-01T00:00:00Z'),
): FleetMeter[] {
  const random = createRandom(seed);
  const totalWeight = fleetRegions.reduce((sum, region) => sum + region.weight, 0);
  const pickRegion = () => {
    let roll = random.next() * totalWeight;
    for (const region of fleetRegions) {
      roll -= region.weight;
      if (roll < 0) return region;
    }
    return fleetRegions[fleetRegions.length - 1] as (typeof fleetRegions)[number];
  };
  const fleet: FleetMeter[] = [];
  for (let index = 0; index < count; index++) {
    const region = pickRegion();
    const segment = random.next() < 0.85 ? 'residential' : 'commercial';
    const intervalMinutes = segment === 'commercial' || random.next() < 1 / 3 ? 15 : 30;
    const tariffRoll = random.next();
    const tariffId =
      segment === 'residential'
        ? tariffRoll < 0.6
          ? 'RES-FLAT'
          : tariffRoll < 0.85
            ? 'RES-E7'
            : 'RES-PEAK'
        : tariffRoll < 0.5
          ? 'COM-FLAT'
          : 'COM-DAYNIGHT';
    fleet.push({
      id: meterIdFor(index),
      customerId: customerIdFor(index),
      region: region.id,
      segment,
      tariffId,
      supplierId: supplierIdFor(index),
      intervalMinutes,
      timeZone: region.timeZone,
      maxKwhPerInterval: maxKwhPerInterval(segment, intervalMinutes),
      installedAt,
      status: isRemoved(index) ? 'removed' : 'active',
      removedAt: isRemoved(index) ? removedAt : null,
    });
  }
  return fleet;
}

/**
 * Inserts tariffs, suppliers, customers and meters, and registers each meter to its supplier from its
 * installation day; existing rows are left as they are, so it can run again.
 */
export async function seedFleet(db: Db, options: SeedFleetOptions): Promise<FleetMeter[]> {
  const fleet = planFleet(options.meters, options.seed, options.installedAt);
  await db.insert(tariffs).values(fleetTariffs).onConflictDoNothing();
  await db
    .insert(suppliers)
    .values(fleetSuppliers.map(({ id, name }) => ({ id, name })))
    .onConflictDoNothing();
  for (let start = 0; start < fleet.length; start += chunkSize) {
    const chunk = fleet.slice(start, start + chunkSize);
    await db.transaction(async (tx) => {
      await tx
        .insert(customers)
        .values(
          chunk.map((meter) => ({
            id: meter.customerId,
            name: `${meter.segment === 'residential' ? 'Household' : 'Business'} ${meter.customerId.slice(4)}`,
            email: `${meter.customerId.toLowerCase()}@customers.meterops.test`,
            region: meter.region,
            segment: meter.segment,
          })),
        )
        .onConflictDoNothing();
      await tx.insert(meters).values(chunk).onConflictDoNothing();
      // A meter that already has a registration (a run of the seed before, or an admin's switch) keeps it.
      const registrations = chunk.map(
        (meter) => dsql`(${meter.id}, ${meter.supplierId}, ${meter.installedAt.toISOString().slice(0, 10)})`,
      );
      await tx.execute(dsql`
        insert into meter_suppliers (meter_id, supplier_id, valid_from, recorded_by)
        select v.meter_id, v.supplier_id, v.valid_from::date, 'seed'
        from (values ${dsql.join(registrations, dsql`, `)}) as v(meter_id, supplier_id, valid_from)
        where not exists (select 1 from meter_suppliers ms where ms.meter_id = v.meter_id and ms.retracted_at is null)`);
    });
    options.onProgress?.(Math.min(start + chunkSize, fleet.length), fleet.length);
  }
  return fleet;
}

export const demoPassword = 'meterops-demo';

/** The demo sign-ins of the README: one per role, the customer bound to the fleet's first customer. */
export const demoUsers = [
  { email: 'operator@meterops.test', name: 'Olivia Operator', role: 'operator', customerId: null },
  { email: 'agent@meterops.test', name: 'Aidan Agent', role: 'agent', customerId: null },
  { email: 'admin@meterops.test', name: 'Ada Admin', role: 'admin', customerId: null },
  { email: 'customer@meterops.test', name: 'Chris Customer', role: 'customer', customerId: customerIdFor(0) },
] as const;

export class DemoUsersRefusedError extends Error {
  override name = 'DemoUsersRefusedError';
}

/**
 * Creates the demo users that do not exist yet. An existing account is left exactly as it is: a
 * password its owner changed stays changed, and an account an administrator disabled stays disabled.
 * The demo password is published, so outside a demo (NODE_ENV=production without `demo: true`) this
 * refuses to run at all.
 */
export async function seedDemoUsers(db: Db, options: { demo?: boolean } = {}): Promise<void> {
  if (dbEnv.NODE_ENV === 'production' && options.demo !== true) {
    throw new DemoUsersRefusedError(
      'refusing to create the demo users (their password is published) with NODE_ENV=production; ' +
        'create an administrator with `npm run users -- create-admin --email …`, or pass --demo for a demo',
    );
  }
  const passwordHash = await hashPassword(demoPassword);
  await db
    .insert(users)
    .values(demoUsers.map((user) => ({ ...user, passwordHash })))
    .onConflictDoNothing({ target: users.email });
}

export async function countFleet(db: Db): Promise<number> {
  const [row] = await db.select({ count: dsql<number>`count(*)::int` }).from(meters);
  return row?.count ?? 0;
}

/**
 * A few billing periods so billing alerts have something to land in: for the fleet's first `customers`
 * customers, the previous calendar month invoiced (customer level) and the current month open; for the
 * first meters of them, the last complete week invoiced at meter level. Periods that exist are kept, so
 * it can run again. invoicedKwh is what the daily rows held when the period was first seeded.
 */
export async function seedBillingPeriods(
  db: Db,
  options: { customers?: number; today?: string } = {},
): Promise<number> {
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const monthStart = `${today.slice(0, 8)}01`;
  const previousMonthStart = `${addDays(monthStart, -1).slice(0, 8)}01`;
  const nextMonthStart = `${addDays(monthStart, 32).slice(0, 8)}01`;
  const weekEnd = addDays(today, -2);
  const weekStart = addDays(weekEnd, -6);
  const count = options.customers ?? 10;
  const fleet = await db
    .select({ id: meters.id, customerId: meters.customerId })
    .from(meters)
    .orderBy(meters.id)
    .limit(count);
  const wanted = fleet.flatMap((meter, index) => [
    {
      customerId: meter.customerId,
      meterId: null,
      periodStart: previousMonthStart,
      periodEnd: addDays(monthStart, -1),
      invoiced: true,
    },
    {
      customerId: meter.customerId,
      meterId: null,
      periodStart: monthStart,
      periodEnd: addDays(nextMonthStart, -1),
      invoiced: false,
    },
    ...(index < 5
      ? [
          {
            customerId: meter.customerId,
            meterId: meter.id,
            periodStart: weekStart,
            periodEnd: weekEnd,
            invoiced: true,
          },
        ]
      : []),
  ]);
  let created = 0;
  for (const period of wanted) {
    const existing = await db.execute(dsql`
      select 1 from billing_periods
      where customer_id = ${period.customerId} and meter_id is not distinct from ${period.meterId}
        and period_start = ${period.periodStart}::date and period_end = ${period.periodEnd}::date`);
    if (existing.length > 0) continue;
    const [kwh] = await db.execute<{ kwh: string }>(dsql`
      select coalesce(sum(u.kwh), 0)::numeric(18,4)::text as kwh
      from meters m join meter_usage_daily u on u.meter_id = m.id
      where m.customer_id = ${period.customerId} and (${period.meterId}::text is null or m.id = ${period.meterId})
        and u.day between ${period.periodStart}::date and ${period.periodEnd}::date`);
    await db.insert(billingPeriods).values({
      customerId: period.customerId,
      meterId: period.meterId,
      periodStart: period.periodStart,
      periodEnd: period.periodEnd,
      invoicedAt: period.invoiced ? new Date() : null,
      invoicedKwh: period.invoiced ? (kwh?.kwh ?? '0.0000') : null,
    });
    created += 1;
  }
  return created;
}
