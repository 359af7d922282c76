/**
 * Inputs of the webhook administration, shared by its procedures and its page. Safe for client
 * components: only zod and the event type list.
 */
import { z } from 'zod';
import { eventTypes, type EventType } from '@meterops/domain/events';

export const eventTypeLabels: Record<EventType, string> = {
  'day.finalized': 'Day finalized (for the meters of the filter)',
  'billing_alert.raised': 'Billing alert raised',
  'reading.corrected': 'Reading corrected',
  'reprocess.finished': 'Reprocessing finished',
  'alert.fired': 'Alert fired',
  'alert.resolved': 'Alert resolved',
  'webhook.test': 'Test event',
};

/** What people subscribe to; `webhook.test` is sent on request only. */
export const subscribableEventTypes = eventTypes.filter((type) => type !== 'webhook.test');

export const deliveryStatuses = ['pending', 'delivering', 'succeeded', 'failed'] as const;

export const WEBHOOK_DELIVERIES_PAGE_SIZE = 50;

/** A list typed as "a, b c" or sent as an array: trimmed, deduplicated, empty entries dropped. */
const list = (item: z.ZodString, max: number) =>
  z.preprocess(
    (value) => (typeof value === 'string' ? value.split(/[\s,]+/) : value),
    z
      .array(z.string().trim())
      .transform((items) => [...new Set(items.filter((entry) => entry !== ''))])
      .pipe(z.array(item).max(max, `at most ${max} entries`)),
  );

export const webhookEndpointInputSchema = z.object({
  url: z.string().trim().min(1, 'enter the URL that receives the events').max(2_000),
  description: z.string().trim().max(500).default(''),
  eventTypes: z
    .array(z.enum(subscribableEventTypes as [EventType, ...EventType[]]))
    .min(1, 'choose at least one event type')
    .transform((types) => [...new Set(types)]),
  regions: list(z.string().max(64, 'a region has at most 64 characters'), 100).default([]),
  segments: list(
    z
      .string()
      .refine((value) => value === 'residential' || value === 'commercial', 'residential or commercial'),
    2,
  ).default([]),
  meterIds: list(z.string().max(64, 'a meter id has at most 64 characters'), 10_000).default([]),
});
export type WebhookEndpointInput = z.input<typeof webhookEndpointInputSchema>;
