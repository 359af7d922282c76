/**
 * The registry: customers, tariffs, meters and billing periods as administrators keep them. Nothing is
 * deleted (readings, aggregates and invoices refer to every row): customers and tariffs are deactivated,
 * meters made inactive or removed, open billing periods cancelled. A change that would make stored readings
 * invalid under the rules that accepted them is refused, naming the field, with a `RegistryError`.
 */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';
import type { TariffWindow } from '../schema/meters';

/** One input the registry refuses, with the field it concerns (answered next to that field in the portal). */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Segment = 'residential' | 'commercial';
type Tx = TransactionSql;

export interface Page<T> {
  rows: T[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface ListParams {
  search?: string;
  /** The key of the last row of the previous page. */
  cursor?: string | null;
  limit?: number;
}

/** `%`, `_` and `\` typed into the search box are matched literally. */
const likePattern = (search: string | undefined) => `%${(search ?? '').replace(/[\\%_]/g, '\\$&')}%`;

function page<T>(rows: T[], limit: number, key: (row: T) => string): Page<T> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return { rows: shown, nextCursor: more && last !== undefined ? key(last) : null };
}

const pageLimit = (limit: number | undefined) => Math.min(Math.max(limit ?? 50, 1), 200);

// ---------------------------------------------------------------------------------------------------
// Customers

export interface RegistryCustomer {
  id: string;
  name: string;
  email: string | null;
  region: string;
  segment: Segment;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** Meters of the customer that are active now. */
  activeMeters: number;
}

export interface CustomerInput {
  id: string;
  name: string;
  email: string | null;
  region: string;
  segment: Segment;
}

const customerColumns = (sql: Sql | Tx) => sql`
  c.id, c.name, c.email, c.region, c.segment, c.created_at as "createdAt", c.deactivated_at as "deactivatedAt",
  (select count(*)::int from meters m where m.customer_id = c.id and m.status = 'active') as "activeMeters"`;

export async function listCustomers(sql: Sql, params: ListParams = {}): Promise<Page<RegistryCustomer>> {
  const limit = pageLimit(params.limit);
  const rows = await sql<RegistryCustomer[]>`
    select ${customerColumns(sql)} from customers c
    where (c.id ilike ${likePattern(params.search)} or c.name ilike ${likePattern(params.search)}
           or coalesce(c.email, '') ilike ${likePattern(params.search)})
      ${params.cursor ? sql`and c.id > ${params.cursor}` : sql``}
    order by c.id
    limit ${limit + 1}`;
  return page(rows, limit, (row) => row.id);
}

export async function getCustomer(sql: Sql | Tx, params: { id: string }): Promise<RegistryCustomer | null> {
  const [row] = await sql<
    RegistryCustomer[]
  >`select ${customerColumns(sql)} from customers c where c.id = ${params.id}`;
  return row ?? null;
}

export async function createCustomer(sql: Sql, params: CustomerInput): Promise<RegistryCustomer> {
  return sql.begin(async (tx) => {
    const inserted = await tx`
      insert into customers (id, name, email, region, segment)
      values (${params.id}, ${params.name}, ${params.email}, ${params.region}, ${params.segment})
      on conflict (id) do nothing
      returning id`;
    if (inserted.length === 0) throw new RegistryError('id', `A customer with id ${params.id} exists`);
    return mustGet(await getCustomer(tx, { id: params.id }));
  });
}

/** Null when there is no such customer. */
export async function updateCustomer(sql: Sql, params: CustomerInput): Promise<RegistryCustomer | null> {
  return sql.begin(async (tx) => {
    const updated = await tx`
      update customers set name = ${params.name}, email = ${params.email}, region = ${params.region},
             segment = ${params.segment}
      where id = ${params.id}
      returning id`;
    return updated.length === 0 ? null : getCustomer(tx, { id: params.id });
  });
}

/** Refused while the customer has active meters: remove or deactivate them first. */
export async function deactivateCustomer(
  sql: Sql,
  params: { id: string; at?: Date },
): Promise<RegistryCustomer | null> {
  return sql.begin(async (tx) => {
    const current = await getCustomer(tx, params);
    if (current === null) return null;
    await tx`select 1 from customers where id = ${params.id} for update`;
    const [active] = await tx<{ count: number }[]>`
      select count(*)::int as count from meters where customer_id = ${params.id} and status = 'active'`;
    if ((active?.count ?? 0) > 0) {
      throw new RegistryError(
        'id',
        `Customer ${params.id} has ${active?.count} active meter(s); deactivate or remove them first`,
      );
    }
    await tx`update customers set deactivated_at = coalesce(deactivated_at, ${params.at ?? new Date()})
             where id = ${params.id}`;
    return getCustomer(tx, params);
  });
}

// ---------------------------------------------------------------------------------------------------
// Tariffs

export interface RegistryTariff {
  id: string;
  name: string;
  kind: 'flat' | 'time_of_use';
  basePricePerKwh: number;
  windows: TariffWindow[];
  deactivatedAt: Date | null;
  /** Active meters billed on the tariff now. */
  activeMeters: number;
}

export interface TariffInput {
  id: string;
  name: string;
  kind: 'flat' | 'time_of_use';
  basePricePerKwh: number;
  windows: TariffWindow[];
}

const tariffColumns = (sql: Sql | Tx) => sql`
  t.id, t.name, t.kind, t.base_price_per_kwh::float8 as "basePricePerKwh", t.windows,
  t.deactivated_at as "deactivatedAt",
  (select count(*)::int from meters m where m.tariff_id = t.id and m.status = 'active') as "activeMeters"`;

export async function listTariffs(sql: Sql, params: ListParams = {}): Promise<Page<RegistryTariff>> {
  const limit = pageLimit(params.limit);
  const rows = await sql<RegistryTariff[]>`
    select ${tariffColumns(sql)} from tariffs t
    where (t.id ilike ${likePattern(params.search)} or t.name ilike ${likePattern(params.search)})
      ${params.cursor ? sql`and t.id > ${params.cursor}` : sql``}
    order by t.id
    limit ${limit + 1}`;
  return page(rows, limit, (row) => row.id);
}

export async function getTariff(sql: Sql | Tx, params: { id: string }): Promise<RegistryTariff | null> {
  const [row] = await sql<
    RegistryTariff[]
  >`select ${tariffColumns(sql)} from tariffs t where t.id = ${params.id}`;
  return row ?? null;
}

export async function createTariff(sql: Sql, params: TariffInput): Promise<RegistryTariff> {
  return sql.begin(async (tx) => {
    const inserted = await tx`
      insert into tariffs (id, name, kind, base_price_per_kwh, windows)
      values (${params.id}, ${params.name}, ${params.kind}, ${params.basePricePerKwh}, ${tx.json(params.windows as never)})
      on conflict (id) do nothing
      returning id`;
    if (inserted.length === 0) throw new RegistryError('id', `A tariff with id ${params.id} exists`);
    return mustGet(await getTariff(tx, { id: params.id }));
  });
}

export async function updateTariff(sql: Sql, params: TariffInput): Promise<RegistryTariff | null> {
  return sql.begin(async (tx) => {
    const updated = await tx`
      update tariffs set name = ${params.name}, kind = ${params.kind},
             base_price_per_kwh = ${params.basePricePerKwh}, windows = ${tx.json(params.windows as never)}
      where id = ${params.id}
      returning id`;
    return updated.length === 0 ? null : getTariff(tx, { id: params.id });
  });
}

/** Refused while active meters are billed on it: move them to another tariff first. */
export async function deactivateTariff(
  sql: Sql,
  params: { id: string; at?: Date },
): Promise<RegistryTariff | null> {
  return sql.begin(async (tx) => {
    const locked = await tx`select 1 from tariffs where id = ${params.id} for update`;
    if (locked.length === 0) return null;
    const [active] = await tx<{ count: number }[]>`
      select count(*)::int as count from meters where tariff_id = ${params.id} and status = 'active'`;
    if ((active?.count ?? 0) > 0) {
      throw new RegistryError(
        'id',
        `${active?.count} active meter(s) are on tariff ${params.id}; move them to another tariff first`,
      );
    }
    await tx`update tariffs set deactivated_at = coalesce(deactivated_at, ${params.at ?? new Date()})
             where id = ${params.id}`;
    return getTariff(tx, params);
  });
}

// ---------------------------------------------------------------------------------------------------
// Meters

export interface RegistryMeter {
  id: string;
  customerId: string;
  region: string;
  segment: Segment;
  tariffId: string;
  intervalMinutes: 15 | 30;
  timeZone: string;
  multiplier: number;
  maxKwhPerInterval: number;
  status: 'active' | 'inactive' | 'removed';
  installedAt: Date;
  removedAt: Date | null;
}

export interface MeterInput {
  id: string;
  customerId: string;
  region: string;
  segment: Segment;
  tariffId: string;
  intervalMinutes: 15 | 30;
  timeZone: string;
  multiplier: number;
  maxKwhPerInterval: number;
  installedAt: Date;
}

const meterColumns = (sql: Sql | Tx) => sql`
  id, customer_id as "customerId", region, segment, tariff_id as "tariffId",
  interval_minutes as "intervalMinutes", time_zone as "timeZone", multiplier::float8 as multiplier,
  max_kwh_per_interval::float8 as "maxKwhPerInterval", status, installed_at as "installedAt",
  removed_at as "removedAt"`;

export async function listMeters(
  sql: Sql,
  params: ListParams & { customerId?: string } = {},
): Promise<Page<RegistryMeter>> {
  const limit = pageLimit(params.limit);
  const rows = await sql<RegistryMeter[]>`
    select ${meterColumns(sql)} from meters
    where (id ilike ${likePattern(params.search)} or customer_id ilike ${likePattern(params.search)})
      ${params.customerId === undefined ? sql`` : sql`and customer_id = ${params.customerId}`}
      ${params.cursor ? sql`and id > ${params.cursor}` : sql``}
    order by id
    limit ${limit + 1}`;
  return page(rows, limit, (row) => row.id);
}

export async function getMeter(sql: Sql | Tx, params: { id: string }): Promise<RegistryMeter | null> {
  const [row] = await sql<RegistryMeter[]>`select ${meterColumns(sql)} from meters where id = ${params.id}`;
  return row ?? null;
}

/**
 * The customer and the tariff a meter refers to must exist; a deactivated one is accepted only when the
 * meter already referred to it (`current`), so editing an old meter does not force a move.
 */
async function checkReferences(tx: Tx, params: MeterInput, current: RegistryMeter | null): Promise<void> {
  const [customer] = await tx<{ deactivatedAt: Date | null }[]>`
    select deactivated_at as "deactivatedAt" from customers where id = ${params.customerId} for share`;
  if (customer === undefined)
    throw new RegistryError('customerId', `There is no customer ${params.customerId}`);
  if (customer.deactivatedAt !== null && current?.customerId !== params.customerId) {
    throw new RegistryError('customerId', `Customer ${params.customerId} is deactivated`);
  }
  const [tariff] = await tx<{ deactivatedAt: Date | null }[]>`
    select deactivated_at as "deactivatedAt" from tariffs where id = ${params.tariffId} for share`;
  if (tariff === undefined) throw new RegistryError('tariffId', `There is no tariff ${params.tariffId}`);
  if (tariff.deactivatedAt !== null && current?.tariffId !== params.tariffId) {
    throw new RegistryError('tariffId', `Tariff ${params.tariffId} is deactivated`);
  }
}

export async function createMeter(sql: Sql, params: MeterInput): Promise<RegistryMeter> {
  return sql.begin(async (tx) => {
    await checkReferences(tx, params, null);
    const inserted = await tx`
      insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, multiplier,
                          max_kwh_per_interval, status, installed_at)
      values (${params.id}, ${params.customerId}, ${params.region}, ${params.segment}, ${params.tariffId},
              ${params.intervalMinutes}, ${params.timeZone}, ${params.multiplier}, ${params.maxKwhPerInterval},
              'active', ${params.installedAt})
      on conflict (id) do nothing
      returning id`;
    if (inserted.length === 0) throw new RegistryError('id', `A meter with id ${params.id} exists`);
    return mustGet(await getMeter(tx, { id: params.id }));
  });
}

/**
 * What the stored readings of a meter allow: the earliest interval end (installation may not move past
 * it), whether any exist (interval length and time zone then stay), the latest interval start (removal may
 * not come before it) and the largest value (the physical maximum may not drop below it).
 */
async function storedReadings(tx: Tx, meterId: string, intervalMinutes: number) {
  const [row] = await tx<
    { count: number; firstEnd: Date | null; lastStart: Date | null; maxKwh: number | null }[]
  >`
    select count(*)::int as count,
           min(interval_start) + make_interval(mins => ${intervalMinutes}) as "firstEnd",
           max(interval_start) as "lastStart", max(kwh)::float8 as "maxKwh"
    from readings where meter_id = ${meterId}`;
  return row ?? { count: 0, firstEnd: null, lastStart: null, maxKwh: null };
}

/** Null when there is no such meter. The status and removal are changed by `deactivateMeter` only. */
export async function updateMeter(sql: Sql, params: MeterInput): Promise<RegistryMeter | null> {
  return sql.begin(async (tx) => {
    const [current] = await tx<
      RegistryMeter[]
    >`select ${meterColumns(tx)} from meters where id = ${params.id} for update`;
    if (current === undefined) return null;
    await checkReferences(tx, params, current);
    const stored = await storedReadings(tx, params.id, current.intervalMinutes);
    if (stored.count > 0) {
      // The customer portal finds usage through meters.customer_id: moving a meter would hand its history over.
      if (params.customerId !== current.customerId) {
        throw new RegistryError(
          'customerId',
          `The customer cannot change: ${stored.count} readings are stored and belong to customer ${current.customerId}`,
        );
      }
      if (params.intervalMinutes !== current.intervalMinutes) {
        throw new RegistryError(
          'intervalMinutes',
          `The interval length cannot change: ${stored.count} readings are stored on the ${current.intervalMinutes}-minute grid`,
        );
      }
      if (params.timeZone !== current.timeZone) {
        throw new RegistryError(
          'timeZone',
          `The time zone cannot change: ${stored.count} readings are stored and their local days (usage, billing) would move`,
        );
      }
      if (stored.firstEnd !== null && params.installedAt >= stored.firstEnd) {
        throw new RegistryError(
          'installedAt',
          `Installation must be before ${stored.firstEnd.toISOString()}, the end of the first stored reading`,
        );
      }
      if (stored.maxKwh !== null && params.maxKwhPerInterval < stored.maxKwh) {
        throw new RegistryError(
          'maxKwhPerInterval',
          `At least ${stored.maxKwh} kWh: a stored reading has that much in one interval`,
        );
      }
    }
    if (current.removedAt !== null && params.installedAt >= current.removedAt) {
      throw new RegistryError(
        'installedAt',
        `Installation must be before the removal at ${current.removedAt.toISOString()}`,
      );
    }
    await tx`
      update meters set customer_id = ${params.customerId}, region = ${params.region}, segment = ${params.segment},
             tariff_id = ${params.tariffId}, interval_minutes = ${params.intervalMinutes}, time_zone = ${params.timeZone},
             multiplier = ${params.multiplier}, max_kwh_per_interval = ${params.maxKwhPerInterval},
             installed_at = ${params.installedAt}
      where id = ${params.id}`;
    return getMeter(tx, params);
  });
}

/**
 * Makes a meter inactive (its readings are refused until it is active again) or removed at `removedAt`
 * (readings from then on are refused). A removal before a stored reading is refused: that reading would
 * no longer pass the rule that accepted it.
 */
export async function deactivateMeter(
  sql: Sql,
  params: { id: string; status: 'inactive' | 'removed'; removedAt?: Date | null },
): Promise<RegistryMeter | null> {
  return sql.begin(async (tx) => {
    const [current] = await tx<
      RegistryMeter[]
    >`select ${meterColumns(tx)} from meters where id = ${params.id} for update`;
    if (current === undefined) return null;
    if (params.status === 'inactive') {
      await tx`update meters set status = 'inactive' where id = ${params.id}`;
      return getMeter(tx, params);
    }
    const removedAt = params.removedAt ?? new Date();
    if (removedAt <= current.installedAt) {
      throw new RegistryError(
        'removedAt',
        `The removal must be after the installation at ${current.installedAt.toISOString()}`,
      );
    }
    const stored = await storedReadings(tx, params.id, current.intervalMinutes);
    if (stored.lastStart !== null && removedAt <= stored.lastStart) {
      throw new RegistryError(
        'removedAt',
        `The removal must be after ${stored.lastStart.toISOString()}, the start of the last stored reading`,
      );
    }
    await tx`update meters set status = 'removed', removed_at = ${removedAt} where id = ${params.id}`;
    return getMeter(tx, params);
  });
}

/**
 * Makes an inactive or removed meter active again (reinstalled): readings are accepted from now on.
 * Clearing the removal invalidates nothing that is stored; readings refused meanwhile stay quarantined.
 */
export async function reactivateMeter(sql: Sql, params: { id: string }): Promise<RegistryMeter | null> {
  return sql.begin(async (tx) => {
    const updated = await tx`
      update meters set status = 'active', removed_at = null where id = ${params.id} returning id`;
    return updated.length === 0 ? null : getMeter(tx, params);
  });
}

// ---------------------------------------------------------------------------------------------------
// Billing periods

export interface RegistryBillingPeriod {
  id: number;
  customerId: string;
  meterId: string | null;
  periodStart: string;
  periodEnd: string;
  invoicedAt: Date | null;
  cancelledAt: Date | null;
}

export interface BillingPeriodInput {
  customerId: string;
  meterId: string | null;
  periodStart: string;
  periodEnd: string;
}

const periodColumns = (sql: Sql | Tx) => sql`
  id::int as id, customer_id as "customerId", meter_id as "meterId", period_start::text as "periodStart",
  period_end::text as "periodEnd", invoiced_at as "invoicedAt", cancelled_at as "cancelledAt"`;

export async function listBillingPeriods(
  sql: Sql,
  params: ListParams = {},
): Promise<Page<RegistryBillingPeriod>> {
  const limit = pageLimit(params.limit);
  const cursor = params.cursor ? Number.parseInt(params.cursor, 10) : null;
  const rows = await sql<RegistryBillingPeriod[]>`
    select ${periodColumns(sql)} from billing_periods
    where (customer_id ilike ${likePattern(params.search)} or coalesce(meter_id, '') ilike ${likePattern(params.search)})
      ${cursor !== null && Number.isSafeInteger(cursor) ? sql`and id > ${cursor}` : sql``}
    order by id
    limit ${limit + 1}`;
  return page(rows, limit, (row) => String(row.id));
}

export async function getBillingPeriod(
  sql: Sql | Tx,
  params: { id: number },
): Promise<RegistryBillingPeriod | null> {
  const [row] = await sql<
    RegistryBillingPeriod[]
  >`select ${periodColumns(sql)} from billing_periods where id = ${params.id}`;
  return row ?? null;
}

/**
 * The customer exists, the meter (if any) is the customer's, and no other live period of the same scope
 * (the customer level, or the same meter) shares a day. A customer-level period and a meter-level one may
 * overlap: the seed invoices a meter's week inside its customer's month. Callers hold the customer's lock.
 */
async function checkPeriod(tx: Tx, params: BillingPeriodInput, exceptId: number | null): Promise<void> {
  const [customer] = await tx`select 1 from customers where id = ${params.customerId}`;
  if (customer === undefined)
    throw new RegistryError('customerId', `There is no customer ${params.customerId}`);
  if (params.meterId !== null) {
    const [meter] = await tx<{ customerId: string }[]>`
      select customer_id as "customerId" from meters where id = ${params.meterId}`;
    if (meter === undefined) throw new RegistryError('meterId', `There is no meter ${params.meterId}`);
    if (meter.customerId !== params.customerId) {
      throw new RegistryError('meterId', `Meter ${params.meterId} belongs to customer ${meter.customerId}`);
    }
  }
  const [overlap] = await tx<{ id: number; periodStart: string; periodEnd: string }[]>`
    select id::int as id, period_start::text as "periodStart", period_end::text as "periodEnd"
    from billing_periods
    where customer_id = ${params.customerId} and meter_id is not distinct from ${params.meterId}
      and cancelled_at is null and id <> ${exceptId ?? 0}
      and period_start <= ${params.periodEnd}::date and period_end >= ${params.periodStart}::date
    order by period_start
    limit 1`;
  if (overlap !== undefined) {
    throw new RegistryError(
      'periodStart',
      `Overlaps billing period #${overlap.id} (${overlap.periodStart} to ${overlap.periodEnd}) of the same ${params.meterId === null ? 'customer' : 'meter'}`,
    );
  }
}

/** Serializes period changes of one customer, so two overlapping periods cannot both pass the check. */
const lockCustomerPeriods = (tx: Tx, customerId: string) =>
  tx`select pg_advisory_xact_lock(hashtext('billing_periods'), hashtext(${customerId}))`;

export async function createRegistryBillingPeriod(
  sql: Sql,
  params: BillingPeriodInput,
): Promise<RegistryBillingPeriod> {
  return sql.begin(async (tx) => {
    await lockCustomerPeriods(tx, params.customerId);
    await checkPeriod(tx, params, null);
    const [row] = await tx<RegistryBillingPeriod[]>`
      insert into billing_periods (customer_id, meter_id, period_start, period_end)
      values (${params.customerId}, ${params.meterId}, ${params.periodStart}::date, ${params.periodEnd}::date)
      returning ${periodColumns(tx)}`;
    return mustGet(row ?? null);
  });
}

/** Why a period cannot change: invoiced ones are billing's record, cancelled ones are history. */
export type PeriodRefusal = 'not_found' | 'invoiced' | 'cancelled';

export async function updateRegistryBillingPeriod(
  sql: Sql,
  params: BillingPeriodInput & { id: number },
): Promise<RegistryBillingPeriod | PeriodRefusal> {
  return sql.begin(async (tx) => {
    const current = await lockedPeriod(tx, params.id);
    if (typeof current === 'string') return current;
    await lockCustomerPeriods(tx, params.customerId);
    await checkPeriod(tx, params, params.id);
    const [row] = await tx<RegistryBillingPeriod[]>`
      update billing_periods set customer_id = ${params.customerId}, meter_id = ${params.meterId},
             period_start = ${params.periodStart}::date, period_end = ${params.periodEnd}::date
      where id = ${params.id}
      returning ${periodColumns(tx)}`;
    return mustGet(row ?? null);
  });
}

export async function cancelBillingPeriod(
  sql: Sql,
  params: { id: number; at?: Date },
): Promise<RegistryBillingPeriod | PeriodRefusal> {
  return sql.begin(async (tx) => {
    const current = await lockedPeriod(tx, params.id);
    if (typeof current === 'string') return current;
    const [row] = await tx<RegistryBillingPeriod[]>`
      update billing_periods set cancelled_at = ${params.at ?? new Date()} where id = ${params.id}
      returning ${periodColumns(tx)}`;
    return mustGet(row ?? null);
  });
}

async function lockedPeriod(tx: Tx, id: number): Promise<RegistryBillingPeriod | PeriodRefusal> {
  const [current] = await tx<RegistryBillingPeriod[]>`
    select ${periodColumns(tx)} from billing_periods where id = ${id} for update`;
  if (current === undefined) return 'not_found';
  if (current.invoicedAt !== null) return 'invoiced';
  if (current.cancelledAt !== null) return 'cancelled';
  return current;
}

function mustGet<T>(row: T | null): T {
  if (row === null) throw new Error('a row written in this transaction is missing');
  return row;
}
