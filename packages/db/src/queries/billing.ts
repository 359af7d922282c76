/**
 * Billing periods and the alerts raised when late data or a correction changes a day of an invoiced
 * period (raised by the batch layer and by corrections; see docs/batch-layer.md).
 */
import type { Sql } from '../client';

export interface BillingPeriod {
  id: number;
  customerId: string;
  /** Null for a customer-level period covering every meter of the customer. */
  meterId: string | null;
  periodStart: string;
  periodEnd: string;
  invoicedAt: Date | null;
  invoicedKwh: string | null;
}

export interface BillingAlert {
  id: number;
  meterId: string;
  customerId: string;
  day: string;
  billingPeriodId: number;
  periodStart: string;
  periodEnd: string;
  invoicedKwh: string | null;
  kwhBefore: string;
  kwhAfter: string;
  kwhDelta: string;
  cause: 'late_data' | 'correction';
  revisionIds: number[];
  intervalStarts: Date[];
  jobRunId: string | null;
  raisedBy: string;
  createdAt: Date;
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
}

const periodColumns = (sql: Sql) => sql`
  id, customer_id as "customerId", meter_id as "meterId", period_start::text as "periodStart",
  period_end::text as "periodEnd", invoiced_at as "invoicedAt", invoiced_kwh::text as "invoicedKwh"`;

export async function createBillingPeriod(
  sql: Sql,
  params: { customerId: string; meterId?: string | null; periodStart: string; periodEnd: string },
): Promise<BillingPeriod> {
  const [period] = await sql<BillingPeriod[]>`
    insert into billing_periods (customer_id, meter_id, period_start, period_end)
    values (${params.customerId}, ${params.meterId ?? null}, ${params.periodStart}::date, ${params.periodEnd}::date)
    returning ${periodColumns(sql)}`;
  if (period === undefined) throw new Error('billing period was not created');
  return period;
}

/** kWh of a period from the daily rows (final or provisional) of its meter, or of all the customer's meters. */
export async function billingPeriodKwh(sql: Sql, params: { id: number }): Promise<string> {
  const [row] = await sql<{ kwh: string }[]>`
    select coalesce(sum(u.kwh), 0)::numeric(18,4)::text as kwh
    from billing_periods p
    join meters m on m.customer_id = p.customer_id and (p.meter_id is null or m.id = p.meter_id)
    join meter_usage_daily u on u.meter_id = m.id and u.day between p.period_start and p.period_end
    where p.id = ${params.id}`;
  return row?.kwh ?? '0.0000';
}

/** Marks a period invoiced, with the invoiced kWh (by default what the daily rows say now). */
export async function markBillingPeriodInvoiced(
  sql: Sql,
  params: { id: number; invoicedAt?: Date; invoicedKwh?: string },
): Promise<BillingPeriod> {
  const kwh = params.invoicedKwh ?? (await billingPeriodKwh(sql, { id: params.id }));
  const [period] = await sql<BillingPeriod[]>`
    update billing_periods set invoiced_at = ${params.invoicedAt ?? new Date()}, invoiced_kwh = ${kwh}
    where id = ${params.id}
    returning ${periodColumns(sql)}`;
  if (period === undefined) throw new RangeError(`no billing period ${params.id}`);
  return period;
}

export async function listBillingPeriods(
  sql: Sql,
  params: { customerId?: string; meterId?: string; invoiced?: boolean } = {},
): Promise<BillingPeriod[]> {
  return sql<BillingPeriod[]>`
    select ${periodColumns(sql)} from billing_periods
    where true
      ${params.customerId === undefined ? sql`` : sql`and customer_id = ${params.customerId}`}
      ${params.meterId === undefined ? sql`` : sql`and meter_id = ${params.meterId}`}
      ${params.invoiced === undefined ? sql`` : params.invoiced ? sql`and invoiced_at is not null` : sql`and invoiced_at is null`}
    order by period_start desc, id`;
}

/** Alerts, newest first; `open` for those nobody has acknowledged yet. */
export async function listBillingAlerts(
  sql: Sql,
  params: { open?: boolean; meterId?: string; customerId?: string; limit?: number } = {},
): Promise<BillingAlert[]> {
  return sql<BillingAlert[]>`
    select a.id, a.meter_id as "meterId", p.customer_id as "customerId", a.day::text as day,
           a.billing_period_id as "billingPeriodId", p.period_start::text as "periodStart", p.period_end::text as "periodEnd",
           p.invoiced_kwh::text as "invoicedKwh", a.kwh_before::text as "kwhBefore", a.kwh_after::text as "kwhAfter",
           a.kwh_delta::text as "kwhDelta", a.cause, a.revision_ids as "revisionIds", a.interval_starts as "intervalStarts",
           a.job_run_id as "jobRunId", a.raised_by as "raisedBy", a.created_at as "createdAt",
           a.acknowledged_by as "acknowledgedBy", a.acknowledged_at as "acknowledgedAt"
    from billing_alerts a join billing_periods p on p.id = a.billing_period_id
    where true
      ${params.open === true ? sql`and a.acknowledged_at is null` : sql``}
      ${params.meterId === undefined ? sql`` : sql`and a.meter_id = ${params.meterId}`}
      ${params.customerId === undefined ? sql`` : sql`and p.customer_id = ${params.customerId}`}
    order by a.created_at desc, a.id desc
    limit ${Math.min(params.limit ?? 100, 1000)}`;
}

/** Records that billing has looked at an alert. Null when there is no such alert; an acknowledged one stays as it was. */
export async function acknowledgeBillingAlert(
  sql: Sql,
  params: { id: number; actor: string },
): Promise<{ id: number; acknowledgedBy: string; acknowledgedAt: Date; newlyAcknowledged: boolean } | null> {
  // The first acknowledgement stands. Only an update that finds the alert still open claims it, so of two
  // concurrent calls exactly one reports `newlyAcknowledged` (the other re-checks after the first commits).
  type Row = { id: number; acknowledgedBy: string; acknowledgedAt: Date; newlyAcknowledged: boolean };
  const [claimed] = await sql<Row[]>`
    update billing_alerts set acknowledged_by = ${params.actor}, acknowledged_at = now()
    where id = ${params.id} and acknowledged_at is null
    returning id, acknowledged_by as "acknowledgedBy", acknowledged_at as "acknowledgedAt",
              true as "newlyAcknowledged"`;
  if (claimed !== undefined) return claimed;
  const [row] = await sql<Row[]>`
    select id, acknowledged_by as "acknowledgedBy", acknowledged_at as "acknowledgedAt",
           false as "newlyAcknowledged"
    from billing_alerts where id = ${params.id}`;
  return row ?? null;
}

/** Billing alerts nobody has acknowledged yet, and when the oldest was raised. */
export async function openBillingAlertSummary(sql: Sql): Promise<{ open: number; oldestAt: Date | null }> {
  const [row] = await sql<{ open: number; oldestAt: Date | null }[]>`
    select count(*)::int as open, min(created_at) as "oldestAt" from billing_alerts where acknowledged_at is null`;
  return row ?? { open: 0, oldestAt: null };
}
