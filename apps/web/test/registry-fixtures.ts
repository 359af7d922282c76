/**
 * Registry rows for integration tests: a customer, a tariff, a meter and an open billing period to edit,
 * and one of each that nothing refers to, to deactivate. Every id starts with one random prefix, which
 * `cleanup()` deletes by (readings included).
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '@meterops/db/client';
import { runSettlement } from '@meterops/db/queries/settlement';

export class RegistryFixture {
  readonly prefix = `REGT-${randomUUID().slice(0, 8)}`;
  readonly customerId = `${this.prefix}-C`;
  readonly tariffId = `${this.prefix}-T`;
  readonly meterId = `${this.prefix}-M`;
  readonly spareCustomerId = `${this.prefix}-C-SPARE`;
  readonly spareTariffId = `${this.prefix}-T-SPARE`;
  readonly spareMeterId = `${this.prefix}-M-SPARE`;
  /** The meter is registered to the first; the second is what a switch moves it to. */
  readonly supplierId = `${this.prefix}-S`;
  readonly otherSupplierId = `${this.prefix}-S-OTHER`;
  readonly spareSupplierId = `${this.prefix}-S-SPARE`;
  /** A settlement run of the fixture's region (runs are append-only: it stays after cleanup). */
  settlementRunId = 0;
  periodId = 0;
  sparePeriodId = 0;
  private serial = 0;
  private month = 0;

  private constructor(private readonly sql: Sql) {}

  static async create(sql: Sql): Promise<RegistryFixture> {
    const fixture = new RegistryFixture(sql);
    await fixture.seed();
    return fixture;
  }

  /** An id under the fixture's prefix that nothing uses yet. */
  newId(label: string): string {
    this.serial += 1;
    return `${this.prefix}-${label}${this.serial}`;
  }

  /** 1, 2, 3, … for months of periods that must not overlap one another. */
  nextMonth(): number {
    this.month += 1;
    return this.month;
  }

  /** Input of registry.meters.create/update for a meter of the fixture's customer and tariff. */
  meterInput(id: string) {
    return {
      id,
      customerId: this.customerId,
      region: 'registry-test',
      segment: 'residential' as const,
      tariffId: this.tariffId,
      intervalMinutes: 30 as const,
      timeZone: 'Europe/London',
      multiplier: 1,
      maxKwhPerInterval: null,
      installedAt: new Date('2024-01-01T00:00:00Z'),
    };
  }

  customerInput(id: string) {
    return {
      id,
      name: 'Registry test customer',
      email: '',
      region: 'registry-test',
      segment: 'commercial' as const,
    };
  }

  supplierInput(id: string) {
    return { id, name: 'Registry test supplier' };
  }

  tariffInput(id: string) {
    return { id, name: 'Registry test tariff', kind: 'flat' as const, basePricePerKwh: 0.2, windows: [] };
  }

  private async seed(): Promise<void> {
    const { sql } = this;
    await sql`
      insert into customers (id, name, region, segment) values
        (${this.customerId}, 'Registry fixture', 'registry-test', 'residential'),
        (${this.spareCustomerId}, 'Registry fixture (spare)', 'registry-test', 'residential')`;
    await sql`
      insert into tariffs (id, name, kind, base_price_per_kwh) values
        (${this.tariffId}, 'Registry fixture', 'flat', 0.2), (${this.spareTariffId}, 'Registry fixture (spare)', 'flat', 0.2)`;
    for (const id of [this.meterId, this.spareMeterId]) {
      await sql`
        insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
        values (${id}, ${this.customerId}, 'registry-test', 'residential', ${this.tariffId}, 30, 'Europe/London', 11.5,
                '2024-01-01T00:00:00Z')`;
    }
    const periods = await sql<{ id: number }[]>`
      insert into billing_periods (customer_id, meter_id, period_start, period_end) values
        (${this.customerId}, null, '2030-01-01', '2030-01-31'), (${this.customerId}, null, '2030-02-01', '2030-02-28')
      returning id::int as id`;
    this.periodId = periods[0]?.id ?? 0;
    this.sparePeriodId = periods[1]?.id ?? 0;
    await sql`
      insert into suppliers (id, name) values
        (${this.supplierId}, 'Registry fixture'), (${this.otherSupplierId}, 'Registry fixture (other)'),
        (${this.spareSupplierId}, 'Registry fixture (spare)')`;
    await sql`
      insert into meter_suppliers (meter_id, supplier_id, valid_from, recorded_by)
      values (${this.meterId}, ${this.supplierId}, '2024-01-01', 'registry-fixture')`;
    const { run } = await runSettlement(sql, {
      day: '2030-01-01',
      region: 'registry-test',
      runType: 'initial',
      actor: 'registry-fixture',
      settleMarginMs: 0,
    });
    this.settlementRunId = run.id;
  }

  async cleanup(): Promise<void> {
    const { sql } = this;
    const pattern = `${this.prefix}%`;
    await sql`delete from readings where meter_id like ${pattern}`;
    await sql`delete from rejected_readings where meter_id like ${pattern}`;
    await sql`delete from billing_periods where customer_id like ${pattern}`;
    // Registrations are append-only for the app roles and refused by a trigger; a superuser's session in
    // replica mode skips the trigger, which is what a test clean-up may do and the app never can.
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`delete from meter_suppliers where meter_id like ${pattern}`;
    });
    await sql`delete from meters where id like ${pattern}`;
    await sql`delete from suppliers where id like ${pattern}`;
    await sql`delete from customers where id like ${pattern}`;
    await sql`delete from tariffs where id like ${pattern}`;
  }
}
