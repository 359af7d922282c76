/**
 * Outbound events of the batch layer and of corrections (docs/webhooks.md), published in the transaction
 * that made the change, so an event exists exactly when its cause committed.
 */
import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { dayUsagePath, type EventData } from '@meterops/domain/events';
import type { TransactionSql } from 'postgres';
import { publishEvent } from '../queries/webhooks';

/**
 * In a finalizing chunk's transaction: `day.finalized` for the meters whose daily row became final or
 * changed while final (the chunk's fin_daily table; a re-run that changed nothing publishes nothing),
 * and `billing_alert.raised` for each alert the chunk raised.
 */
export async function publishFinalization(
  tx: TransactionSql,
  params: { day: string; jobRunId: string | null; alertIds: readonly number[] },
): Promise<void> {
  const meters = await tx<{ meterId: string; kwh: string; finalVersion: number }[]>`
    select meter_id as "meterId", kwh_after::numeric(18,4)::text as kwh, final_version as "finalVersion"
    from fin_daily where status_after = 'final' order by meter_id`;
  if (meters.length > 0) {
    const data: EventData<'day.finalized'> = {
      day: params.day,
      meterCount: meters.length,
      kwhTotal: unitsToKwh(meters.reduce((sum, meter) => sum + kwhToUnits(meter.kwh), 0)),
      meters,
      usagePath: dayUsagePath(params.day),
      jobRunId: params.jobRunId,
    };
    await publishEvent(tx, { type: 'day.finalized', data });
  }
  await publishBillingAlertsRaised(tx, params.alertIds);
}

/** `billing_alert.raised` for each of the given alerts, in the transaction that raised them. */
export async function publishBillingAlertsRaised(
  tx: TransactionSql,
  alertIds: readonly number[],
): Promise<void> {
  if (alertIds.length === 0) return;
  const alerts = await tx<EventData<'billing_alert.raised'>[]>`
    select a.id::int as "alertId", a.meter_id as "meterId", p.customer_id as "customerId", a.day::text as day,
           json_build_object('id', p.id, 'start', p.period_start::text, 'end', p.period_end::text,
                             'invoicedKwh', p.invoiced_kwh::numeric(18,4)::text) as "billingPeriod",
           a.kwh_before::numeric(18,4)::text as "kwhBefore", a.kwh_after::numeric(18,4)::text as "kwhAfter",
           a.kwh_delta::numeric(18,4)::text as "kwhDelta", a.cause::text as cause, a.raised_by as "raisedBy",
           a.job_run_id::text as "jobRunId"
    from billing_alerts a join billing_periods p on p.id = a.billing_period_id
    where a.id = any(${[...alertIds]}::bigint[])
    order by a.id`;
  for (const alert of alerts) {
    await publishEvent(tx, { type: 'billing_alert.raised', data: alert });
  }
}
