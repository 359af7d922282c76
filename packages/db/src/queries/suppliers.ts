/**
 * Market participants: suppliers, and which supplier each meter belongs to over time. The meter-supplier
 * registrations are bitemporal and append-only (migration 0014): a switch retracts the rows it replaces
 * and records new ones, so a settlement run can see the registry exactly as it stood at its as-of instant.
 * Refusals name their field with a `RegistryError`, answered next to that field in the portal.
 */
import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';
import { RegistryError, type ListParams, type Page } from './registry';

type Tx = TransactionSql;

export interface Supplier {
  id: string;
  name: string;
  createdAt: Date;
  deactivatedAt: Date | null;
  /** Meters registered to the supplier on `onDay` (today in UTC unless given). */
  meters: number;
}

export interface SupplierInput {
  id: string;
  name: string;
}

/** One registration of a meter to a supplier: [validFrom, validTo) local days. */
export interface MeterSupplierPeriod {
  id: number;
  meterId: string;
  supplierId: string;
  supplierName: string;
  validFrom: string;
  /** Exclusive; null while open-ended. */
  validTo: string | null;
  recordedAt: Date;
  recordedBy: string;
  /** Set when a later switch replaced the row; the row stays as evidence. */
  retractedAt: Date | null;
}

const likePattern = (search: string | undefined) => `%${(search ?? '').replace(/[\\%_]/g, '\\$&')}%`;
const pageLimit = (limit: number | undefined) => Math.min(Math.max(limit ?? 50, 1), 200);
const today = () => new Date().toISOString().slice(0, 10);

const supplierColumns = (sql: Sql | Tx, onDay: string) => sql`
  s.id, s.name, s.created_at as "createdAt", s.deactivated_at as "deactivatedAt",
  (select count(*)::int from meter_suppliers ms
   where ms.supplier_id = s.id and ms.retracted_at is null
     and ms.valid_from <= ${onDay}::date and (ms.valid_to is null or ms.valid_to > ${onDay}::date)) as meters`;

export async function listSuppliers(
  sql: Sql,
  params: ListParams & { onDay?: string } = {},
): Promise<Page<Supplier>> {
  const limit = pageLimit(params.limit);
  const rows = await sql<Supplier[]>`
    select ${supplierColumns(sql, params.onDay ?? today())} from suppliers s
    where (s.id ilike ${likePattern(params.search)} or s.name ilike ${likePattern(params.search)})
      ${params.cursor ? sql`and s.id > ${params.cursor}` : sql``}
    order by s.id
    limit ${limit + 1}`;
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  return { rows: shown, nextCursor: more ? (shown.at(-1)?.id ?? null) : null };
}

export async function getSupplier(sql: Sql | Tx, params: { id: string }): Promise<Supplier | null> {
  const [row] = await sql<Supplier[]>`
    select ${supplierColumns(sql, today())} from suppliers s where s.id = ${params.id}`;
  return row ?? null;
}

export async function createSupplier(sql: Sql, params: SupplierInput): Promise<Supplier> {
  return sql.begin(async (tx) => {
    const inserted = await tx`
      insert into suppliers (id, name) values (${params.id}, ${params.name})
      on conflict (id) do nothing returning id`;
    if (inserted.length === 0) throw new RegistryError('id', `A supplier with id ${params.id} exists`);
    const row = await getSupplier(tx, params);
    if (row === null) throw new Error('the supplier written in this transaction is missing');
    return row;
  });
}

/** Null when there is no such supplier. */
export async function updateSupplier(sql: Sql, params: SupplierInput): Promise<Supplier | null> {
  return sql.begin(async (tx) => {
    const updated = await tx`update suppliers set name = ${params.name} where id = ${params.id} returning id`;
    return updated.length === 0 ? null : getSupplier(tx, params);
  });
}

/** Refused while meters are registered to the supplier from today on: switch them first. */
export async function deactivateSupplier(
  sql: Sql,
  params: { id: string; onDay?: string },
): Promise<Supplier | null> {
  return sql.begin(async (tx) => {
    const [locked] = await tx`select id from suppliers where id = ${params.id} for update`;
    if (locked === undefined) return null;
    const [registered] = await tx<{ count: number }[]>`
      select count(*)::int as count from meter_suppliers
      where supplier_id = ${params.id} and retracted_at is null
        and (valid_to is null or valid_to > ${params.onDay ?? today()}::date)`;
    if ((registered?.count ?? 0) > 0) {
      throw new RegistryError(
        'id',
        `Supplier ${params.id} still has ${registered?.count} meter(s) registered from today on; switch them first`,
      );
    }
    await tx`update suppliers set deactivated_at = coalesce(deactivated_at, now()) where id = ${params.id}`;
    return getSupplier(tx, params);
  });
}

/** Every registration of the meter, the current ones first by day, then the retracted ones (newest first). */
export async function meterSupplierHistory(
  sql: Sql | Tx,
  params: { meterId: string },
): Promise<MeterSupplierPeriod[]> {
  return sql<MeterSupplierPeriod[]>`
    select ms.id::int as id, ms.meter_id as "meterId", ms.supplier_id as "supplierId", s.name as "supplierName",
           ms.valid_from::text as "validFrom", ms.valid_to::text as "validTo", ms.recorded_at as "recordedAt",
           ms.recorded_by as "recordedBy", ms.retracted_at as "retractedAt"
    from meter_suppliers ms join suppliers s on s.id = ms.supplier_id
    where ms.meter_id = ${params.meterId}
    order by ms.retracted_at is not null, ms.valid_from, ms.retracted_at desc, ms.id`;
}

export interface SupplierSwitch {
  meterId: string;
  supplierId: string;
  /** First local settlement day with the new supplier. */
  from: string;
  actor: string;
}

/**
 * Moves the meter to `supplierId` from the local day `from` on (open-ended). The registration covering
 * `from` is cut at that day, later ones are replaced; each replaced row is retracted, not deleted, and the
 * cut part recorded anew. Refused when the meter is unknown, the supplier unknown or deactivated, or the
 * meter already belongs to that supplier on that day.
 */
export async function switchSupplier(sql: Sql, params: SupplierSwitch): Promise<MeterSupplierPeriod[]> {
  return sql.begin(async (tx) => {
    const [meter] = await tx<{ id: string }[]>`select id from meters where id = ${params.meterId} for update`;
    if (meter === undefined) throw new RegistryError('meterId', `There is no meter ${params.meterId}`);
    const [supplier] = await tx<{ deactivatedAt: Date | null }[]>`
      select deactivated_at as "deactivatedAt" from suppliers where id = ${params.supplierId}`;
    if (supplier === undefined)
      throw new RegistryError('supplierId', `There is no supplier ${params.supplierId}`);
    if (supplier.deactivatedAt !== null) {
      throw new RegistryError('supplierId', `Supplier ${params.supplierId} is deactivated`);
    }
    const affected = await tx<
      { id: number; supplierId: string; validFrom: string; validTo: string | null }[]
    >`
      select id::int as id, supplier_id as "supplierId", valid_from::text as "validFrom", valid_to::text as "validTo"
      from meter_suppliers
      where meter_id = ${params.meterId} and retracted_at is null
        and (valid_to is null or valid_to > ${params.from}::date)
      order by valid_from`;
    const covering = affected.find((row) => row.validFrom <= params.from);
    if (covering?.supplierId === params.supplierId && affected.length === 1 && covering.validTo === null) {
      throw new RegistryError(
        'supplierId',
        `Meter ${params.meterId} already belongs to ${params.supplierId} on ${params.from}`,
      );
    }
    if (affected.length > 0) {
      await tx`update meter_suppliers set retracted_at = now() where id in ${tx(affected.map((row) => row.id))}`;
    }
    if (covering !== undefined && covering.validFrom < params.from) {
      await tx`
        insert into meter_suppliers (meter_id, supplier_id, valid_from, valid_to, recorded_by)
        values (${params.meterId}, ${covering.supplierId}, ${covering.validFrom}::date, ${params.from}::date, ${params.actor})`;
    }
    await tx`
      insert into meter_suppliers (meter_id, supplier_id, valid_from, valid_to, recorded_by)
      values (${params.meterId}, ${params.supplierId}, ${params.from}::date, null, ${params.actor})`;
    return meterSupplierHistory(tx, { meterId: params.meterId });
  });
}
