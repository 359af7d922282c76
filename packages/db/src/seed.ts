import { createRandom } from '@meterops/domain/random';
import { sql as dsql } from 'drizzle-orm';
import type { Db } from './client';
import { customerIdFor, fleetRegions, fleetTariffs, maxKwhPerInterval, meterIdFor } from './fleet';
import { hashPassword } from './password';
import { customers, meters, tariffs, users } from './schema/index';

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

/** Inserts tariffs, customers and meters; existing rows are left as they are, so it can run again. */
export async function seedFleet(db: Db, options: SeedFleetOptions): Promise<FleetMeter[]> {
  const fleet = planFleet(options.meters, options.seed, options.installedAt);
  await db.insert(tariffs).values(fleetTariffs).onConflictDoNothing();
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

/** Creates the demo users, or resets their password and role if they exist. Needs the fleet's first customer. */
export async function seedDemoUsers(db: Db): Promise<void> {
  const passwordHash = await hashPassword(demoPassword);
  for (const user of demoUsers) {
    await db
      .insert(users)
      .values({ ...user, passwordHash })
      .onConflictDoUpdate({
        target: users.email,
        set: { passwordHash, role: user.role, customerId: user.customerId, disabledAt: null },
      });
  }
}

export async function countFleet(db: Db): Promise<number> {
  const [row] = await db.select({ count: dsql<number>`count(*)::int` }).from(meters);
  return row?.count ?? 0;
}
