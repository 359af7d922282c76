/**
 * The events MeterOps publishes to outside systems (outbound webhooks, alert notifications), each with
 * the zod schema of its `data`. docs/webhooks.md describes them for receivers; this is the one definition.
 */
import { z } from 'zod';
import { kwhToUnits, unitsToKwh } from './kwh';

export const eventTypes = [
  'day.finalized',
  'billing_alert.raised',
  'reading.corrected',
  'reprocess.finished',
  'alert.fired',
  'alert.resolved',
  'webhook.test',
] as const;
export const eventTypeSchema = z.enum(eventTypes);
export type EventType = z.infer<typeof eventTypeSchema>;

const day = z.iso.date();
const instant = z.iso.datetime({ offset: true });
const kwh = z.string().regex(/^-?\d+(\.\d+)?$/, 'a decimal kWh string');

/** A meter whose daily number became final, or changed while final (finalVersion above 1). */
export const finalizedMeterSchema = z.object({
  meterId: z.string(),
  kwh,
  /** 1 the first time the day was finalized; each refinalization that changed it adds 1. */
  finalVersion: z.number().int().min(1),
});

/** Above this many meters a day.finalized body carries counts and a link instead of the list. */
export const MAX_LISTED_METERS = 1_000;

export const eventDataSchemas = {
  /**
   * A set of meters' daily numbers became final (or changed while final) for a local day: one event per
   * batch-layer transaction (up to a few thousand meters), so one finalized day comes as a few events.
   * `meters` lists the meters (of the subscription's filter) or is null when they are more than
   * MAX_LISTED_METERS; `usagePath` (relative to the MeterOps base URL) serves them in any case.
   */
  'day.finalized': z.object({
    day,
    meterCount: z.number().int().min(0),
    kwhTotal: kwh,
    meters: z.array(finalizedMeterSchema).nullable(),
    usagePath: z.string(),
    /** The job run that finalized it; null for a correction's immediate reprocessing. */
    jobRunId: z.string().nullable(),
  }),
  /** Late data or a correction changed a day inside an invoiced billing period. */
  'billing_alert.raised': z.object({
    alertId: z.number().int(),
    meterId: z.string(),
    customerId: z.string(),
    day,
    billingPeriod: z.object({
      id: z.number().int(),
      start: day,
      end: day,
      invoicedKwh: kwh.nullable(),
    }),
    kwhBefore: kwh,
    kwhAfter: kwh,
    kwhDelta: kwh,
    cause: z.enum(['late_data', 'correction']),
    raisedBy: z.string(),
    jobRunId: z.string().nullable(),
  }),
  /** An agent corrected a reading: a new version with quality 'edited'. */
  'reading.corrected': z.object({
    meterId: z.string(),
    intervalStart: instant,
    /** The meter's local day of the interval. */
    day,
    kwhBefore: kwh.nullable(),
    qualityBefore: z.enum(['actual', 'estimated', 'edited']).nullable(),
    kwhAfter: kwh,
    version: z.number().int().min(1),
    revisionId: z.number().int().nullable(),
    /** The agent's user id. */
    actor: z.string(),
    reason: z.string(),
  }),
  /** A reprocess job (a range, or the queue of late data and corrections) completed. */
  'reprocess.finished': z.object({
    jobRunId: z.string(),
    job: z.enum(['reprocess', 'reprocess-queue']),
    from: day.nullable(),
    to: day.nullable(),
    days: z.number().int().min(0),
    meterDays: z.number().int().min(0),
    dailyRowsChanged: z.number().int().min(0),
    billingAlerts: z.number().int().min(0),
    requeued: z.number().int().min(0),
  }),
  /** An alert rule started to hold (issue 14). Fields beyond these are the rule's own. */
  'alert.fired': z.looseObject({
    alertId: z.string(),
    rule: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    summary: z.string(),
    firedAt: instant,
    /** Path of the portal page that shows the problem, relative to the MeterOps base URL. */
    link: z.string().nullable(),
  }),
  'alert.resolved': z.looseObject({
    alertId: z.string(),
    rule: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    summary: z.string(),
    firedAt: instant,
    resolvedAt: instant,
    link: z.string().nullable(),
  }),
  /** Sent on request from the portal, to check a receiver. */
  'webhook.test': z.object({
    endpointId: z.string(),
    message: z.string(),
    requestedBy: z.string(),
  }),
} satisfies Record<EventType, z.ZodType>;

export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export interface OutboundEvent<T extends EventType = EventType> {
  type: T;
  data: EventData<T>;
  /** When the cause happened; now by default. */
  occurredAt?: Date;
}

/** Validates an event's data against its type's schema; throws a ZodError naming the wrong field. */
export function parseEventData<T extends EventType>(type: T, data: unknown): EventData<T> {
  return eventDataSchemas[type].parse(data) as EventData<T>;
}

/**
 * The meters an event is about, which a subscription's region/segment/meter filter narrows; null for an
 * event about no meter (a filter does not apply to it).
 */
export function eventMeterIds(type: EventType, data: Record<string, unknown>): string[] | null {
  switch (type) {
    case 'day.finalized': {
      const meters = (data as EventData<'day.finalized'>).meters;
      return meters === null ? null : meters.map((meter) => meter.meterId);
    }
    case 'billing_alert.raised':
    case 'reading.corrected':
      return [(data as { meterId: string }).meterId];
    default:
      return null;
  }
}

/**
 * The data an endpoint receives: for a meter-scoped event, only the meters its filter matched (null:
 * every meter); a day.finalized list of more than MAX_LISTED_METERS becomes counts and the link.
 */
export function payloadFor(
  type: EventType,
  data: Record<string, unknown>,
  matchedMeterIds: ReadonlySet<string> | null,
): Record<string, unknown> {
  if (type !== 'day.finalized') return data;
  const event = data as EventData<'day.finalized'>;
  const meters =
    matchedMeterIds === null || event.meters === null
      ? event.meters
      : event.meters.filter((meter) => matchedMeterIds.has(meter.meterId));
  if (meters === null) return data;
  const total = meters.reduce((sum, meter) => sum + kwhToUnits(meter.kwh), 0);
  return {
    ...event,
    meterCount: meters.length,
    kwhTotal: unitsToKwh(total),
    meters: meters.length > MAX_LISTED_METERS ? null : meters,
  } satisfies EventData<'day.finalized'>;
}

/** Where the daily usage of a day is served (REST API `GET /usage/daily`), relative to the MeterOps base URL. */
export function dayUsagePath(day: string): string {
  return `/api/v1/usage/daily?day=${day}&status=final`;
}
