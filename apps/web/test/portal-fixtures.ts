/**
 * Data for the customer-service, administration and usage procedures in integration tests: one meter of
 * a given customer with a tariff and region of its own, a day of readings (some flagged), a billing
 * period with an alert and a (cancelled) job run. Everything is keyed by unique ids and removed by
 * `cleanup()`, except the reading_revisions rows, which the database keeps by design (append-only).
 */
import { randomUUID } from 'node:crypto';
import type { Sql } from '@meterops/db/client';
import { enqueueJob, requestCancel } from '@meterops/db/queries/jobs';
import { createWebhookEndpoint, sendTestEvent } from '@meterops/db/queries/webhooks';

/** A past local day no other test writes (Europe/London, winter: local time = UTC). */
export const FIXTURE_DAY = '2024-02-14';
const dayStartMs = Date.parse(`${FIXTURE_DAY}T00:00:00Z`);
const slot = (index: number) => new Date(dayStartMs + index * 30 * 60_000);

export class PortalFixture {
  readonly meterId: string;
  readonly region: string;
  readonly tariffId: string;
  private readonly emails: string[] = [];
  private freeSlot = 24;
  // Five of each: the access-policy test asks for an input under every actor, allowed or not.
  private flaggedForAccept = [1, 3, 5, 7, 9];
  private flaggedForEstimate = [13, 15, 17, 19, 21];
  alertId = 0;
  runId = '';
  webhookEndpointId = '';
  webhookDeliveryId = 0;

  private constructor(
    private readonly sql: Sql,
    readonly customerId: string,
  ) {
    const suffix = randomUUID().slice(0, 8);
    this.meterId = `WEBT-${suffix}`;
    this.region = `web-test-${suffix}`;
    this.tariffId = `WEBT-${suffix}`;
  }

  /** A meter of `customerId` with 24 half-hourly readings from midnight, ten of them flagged. */
  static async create(sql: Sql, customerId: string): Promise<PortalFixture> {
    const fixture = new PortalFixture(sql, customerId);
    await fixture.seed();
    return fixture;
  }

  private async seed(): Promise<void> {
    const { sql } = this;
    await sql`select ensure_readings_partition(${`${FIXTURE_DAY}T00:00:00Z`}::timestamptz)`;
    await sql`
      insert into tariffs (id, name, kind, base_price_per_kwh) values (${this.tariffId}, 'Web test tariff', 'flat', 0.2)`;
    await sql`
      insert into meters (id, customer_id, region, segment, tariff_id, interval_minutes, time_zone, max_kwh_per_interval, installed_at)
      values (${this.meterId}, ${this.customerId}, ${this.region}, 'residential', ${this.tariffId}, 30, 'Europe/London', 11.5,
              '2024-01-01T00:00:00Z')`;
    const flagged = new Set([...this.flaggedForAccept, ...this.flaggedForEstimate]);
    const slots = Array.from({ length: 24 }, (_, index) => index);
    await sql`
      insert into readings (meter_id, interval_start, kwh, quality, flags, source)
      select ${this.meterId}, start, kwh, 'actual', case when flag = '' then '{}'::text[] else array[flag] end, 'meter'
      from unnest(${slots.map((index) => slot(index).toISOString())}::timestamptz[],
                  ${slots.map((index) => (flagged.has(index) ? '2.5000' : '0.2000'))}::numeric[],
                  ${slots.map((index) => (flagged.has(index) ? 'spike' : ''))}::text[]) as r(start, kwh, flag)`;
    const [period] = await sql<{ id: number }[]>`
      insert into billing_periods (customer_id, meter_id, period_start, period_end, invoiced_at, invoiced_kwh)
      values (${this.customerId}, ${this.meterId}, '2024-02-01', '2024-02-29', now(), 100)
      returning id::int as id`;
    const [alert] = await sql<{ id: number }[]>`
      insert into billing_alerts (meter_id, day, billing_period_id, kwh_before, kwh_after, kwh_delta, cause, raised_by)
      values (${this.meterId}, ${FIXTURE_DAY}, ${period?.id ?? 0}, 4.8, 5.0, 0.2, 'late_data', 'web-test')
      returning id::int as id`;
    this.alertId = alert?.id ?? 0;
    const run = await enqueueJob(sql, {
      name: 'reprocess',
      params: { from: FIXTURE_DAY, to: FIXTURE_DAY, meterIds: [this.meterId] },
      startedBy: 'web-test',
    });
    // Cancelled before any worker can run it: a worker running beside the tests would otherwise finalize the day.
    await requestCancel(sql, { id: run.id, actor: 'web-test' });
    this.runId = run.id;
    // An https endpoint nobody answers: a worker beside the tests tries it and logs the failures.
    const { endpoint } = await createWebhookEndpoint(sql, {
      url: 'https://receiver.example.com/meterops',
      description: 'web test',
      eventTypes: ['day.finalized'],
      filter: { regions: [this.region], segments: [], meterIds: [] },
      createdBy: 'web-test',
    });
    this.webhookEndpointId = endpoint.id;
    const test = await sendTestEvent(sql, { endpointId: endpoint.id, requestedBy: 'web-test' });
    this.webhookDeliveryId = test?.deliveryId ?? 0;
  }

  /** A missing interval of the day, a new one each call, for corrections that must succeed. */
  nextFreeInterval(): Date {
    return slot(this.freeSlot++);
  }

  /** A flagged reading at version 1 that nobody has accepted yet. */
  nextFlaggedForAccept(): Date {
    return slot(this.flaggedForAccept.shift() ?? 0);
  }

  /** A flagged reading at version 1 whose neighbours are unflagged. */
  nextFlaggedForEstimate(): Date {
    return slot(this.flaggedForEstimate.shift() ?? 0);
  }

  newEmail(): string {
    const email = `portal-${randomUUID()}@web-tests.meterops.test`;
    this.emails.push(email);
    return email;
  }

  async cleanup(): Promise<void> {
    const { sql } = this;
    await sql`delete from job_runs where params->'meterIds' ? ${this.meterId}`;
    await sql`delete from billing_alerts where meter_id = ${this.meterId}`;
    await sql`delete from billing_periods where meter_id = ${this.meterId}`;
    await sql`delete from reprocess_queue where meter_id = ${this.meterId}`;
    await sql`delete from readings where meter_id = ${this.meterId} and interval_start >= '2024-02-01' and interval_start < '2024-03-01'`;
    await sql`delete from meter_usage_hourly where meter_id = ${this.meterId}`;
    await sql`delete from meter_usage_daily where meter_id = ${this.meterId}`;
    await sql`delete from forecasts_meter_day where meter_id = ${this.meterId}`;
    await sql`delete from settlement_period_usage where region = ${this.region}`;
    await sql`
      delete from dimension_usage_daily
      where (dimension = 'region' and key = ${this.region}) or (dimension = 'tariff' and key = ${this.tariffId})
         or (dimension = 'segment' and day = ${FIXTURE_DAY}::date)`;
    await sql`delete from meters where id = ${this.meterId}`;
    await sql`delete from tariffs where id = ${this.tariffId}`;
    if (this.emails.length > 0) await sql`delete from users where email = any(${this.emails}::text[])`;
  }
}
