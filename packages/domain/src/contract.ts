/**
 * The `meter.readings` message contract: key = meter id, value = UTF-8 JSON. Decoding is strict about the
 * envelope and lenient about items, so one bad reading never rejects its siblings.
 * Human-facing description: docs/message-contract.md; JSON Schema: docs/contracts/meter-readings.schema.json.
 */
import { z } from 'zod';
import { formatKwh } from './kwh';
import { parseInstant } from './time';

export const READINGS_TOPIC = 'meter.readings';
export const MAX_METER_ID_LENGTH = 64;
export const MAX_READINGS_PER_MESSAGE = 2000;

const instantSchema = z.iso.datetime({ offset: true });

/**
 * A meter id as the registry accepts it: what the message contract accepts as `meterId` (1 to
 * MAX_METER_ID_LENGTH characters), without control characters, which no head-end sends on purpose and
 * which would corrupt the portal's tables, logs and CSV downloads.
 */
export const registeredMeterIdSchema = z
  .string()
  .min(1, 'Enter the meter id')
  .max(MAX_METER_ID_LENGTH, `At most ${MAX_METER_ID_LENGTH} characters`)
  .regex(/^\P{Cc}*$/u, 'No control characters (tabs, line breaks, …)');

export const readingItemSchema = z
  .object({
    intervalStart: instantSchema.describe(
      'Start of the interval, an RFC 3339 instant with Z or an offset (local times without offset are ambiguous around DST). Must be on the meter’s 15- or 30-minute grid in its local time.',
    ),
    kwh: z
      .number()
      .describe(
        'Energy consumed in the interval in kWh, already multiplied by the CT/VT ratio. A JSON number with at most 4 decimal places; strings are not accepted.',
      ),
  })
  .meta({ title: 'Interval reading' });

export const readingMessageSchema = z
  .object({
    meterId: z
      .string()
      .min(1)
      .max(MAX_METER_ID_LENGTH)
      // Control characters (NUL above all, which Postgres text refuses) are never part of a meter id.
      // eslint-disable-next-line no-control-regex -- matching control characters is the point
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters')
      .describe('Meter id; must equal the Kafka message key. No control characters.'),
    readings: z
      .array(readingItemSchema)
      .min(1)
      .max(MAX_READINGS_PER_MESSAGE)
      .describe('One interval, a daily profile, or any set of intervals of this meter.'),
    sentAt: instantSchema.optional().describe('When the head-end sent the message.'),
    source: z.string().optional().describe('Sending system, e.g. a head-end id.'),
  })
  .meta({
    title: 'MeterOps meter.readings message',
    description:
      'Value of a message on the Kafka topic meter.readings (key = meterId, UTF-8 JSON). Unknown fields are ignored.',
    examples: [
      {
        meterId: 'MTR-000042',
        readings: [{ intervalStart: '2026-11-22T00:15:00Z', kwh: 0.1234 }],
        sentAt: '2026-11-22T00:31:02Z',
        source: 'head-end-7',
      },
    ],
  });

/** A message as a producer writes it. */
export type ReadingMessage = z.input<typeof readingMessageSchema>;

/** The envelope is checked strictly; items only have to be present, each is then checked on its own. */
const envelopeSchema = readingMessageSchema.extend({
  readings: z.array(z.unknown()).min(1).max(MAX_READINGS_PER_MESSAGE),
});

/** The published JSON Schema of a message; extra properties stay allowed for forward compatibility. */
export function readingMessageJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(readingMessageSchema, { io: 'input', target: 'draft-2020-12' });
}

/** Rules that reject a whole message (stored with item index -1). */
export type MessageRejectionRule = 'empty_message' | 'malformed_json' | 'schema' | 'key_mismatch';
/** Rules that reject one item while decoding; its siblings go on. */
export type ItemRejectionRule = 'malformed_reading' | 'unparseable_timestamp' | 'not_a_number' | 'precision';

/** An item that decoded cleanly. */
export interface DecodedReading {
  /** Position in the message's `readings` array. */
  itemIndex: number;
  /** As sent. */
  intervalStart: string;
  intervalStartMs: number;
  /** Exact decimal text with 4 decimals, e.g. '0.1230'. */
  kwh: string;
  /** The same value as a number, for comparisons. */
  kwhValue: number;
}

export interface ItemError {
  itemIndex: number;
  rule: ItemRejectionRule;
  detail: string;
  /** As sent, when it was a string. */
  intervalStart?: string;
  /** When the timestamp parsed (the item failed on its kWh). */
  intervalStartMs?: number;
}

export interface DecodedReadingMessage {
  meterId: string;
  sentAt?: string;
  sentAtMs?: number;
  source?: string;
  /** Number of items in the message, good or bad. */
  itemCount: number;
  readings: DecodedReading[];
  itemErrors: ItemError[];
}

export type DecodeResult =
  { ok: true; message: DecodedReadingMessage } | { ok: false; rule: MessageRejectionRule; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_ISSUES_IN_DETAIL = 3;
const MAX_QUOTED_LENGTH = 40;

function rejectMessage(rule: MessageRejectionRule, detail: string): DecodeResult {
  return { ok: false, rule, detail };
}

/** Type names as zod reports them: null and array are told apart from object. */
function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function quote(value: string): string {
  const shown = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  return JSON.stringify(shown);
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text === '' ? 'message' : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      const value = valueAt(root, issue.path);
      return value === undefined
        ? `${path}: missing (expected ${issue.expected})`
        : `${path}: expected ${issue.expected}, received ${typeName(value)}`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `${path}: must have at least ${String(issue.minimum)} item(s)`
        : `${path}: must be at least ${String(issue.minimum)} character(s) long`;
    case 'too_big':
      return issue.origin === 'array'
        ? `${path}: must have at most ${String(issue.maximum)} items`
        : `${path}: must be at most ${String(issue.maximum)} characters long`;
    case 'invalid_format': {
      const value = valueAt(root, issue.path);
      return `${path}: ${typeof value === 'string' ? quote(value) : 'value'} is not an ISO-8601 instant with offset or Z`;
    }
    default:
      return `${path}: ${issue.message}`;
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[], root: unknown): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_DETAIL).map((issue) => describeIssue(issue, root));
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')} (+${more} more)` : shown.join('; ');
}

function decodeText(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Decodes one Kafka record of `meter.readings`. Whole-message failures: `empty_message` (null or blank
 * value), `malformed_json` (not UTF-8 or not JSON), `schema` (envelope types and sizes), `key_mismatch`
 * (a key that differs from meterId; a null key is accepted). Items are checked one by one and a failing
 * item lands in `itemErrors` with its own rule while the others decode.
 */
export function decodeReadingMessage(
  value: Uint8Array | string | null,
  key: Uint8Array | string | null,
): DecodeResult {
  if (value === null) return rejectMessage('empty_message', 'message has no value (tombstone)');
  const text = typeof value === 'string' ? value : decodeText(value);
  if (text === null) return rejectMessage('malformed_json', 'value is not valid UTF-8');
  if (text.trim() === '') return rejectMessage('empty_message', 'message value is empty');

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return rejectMessage('malformed_json', `value is not valid JSON: ${(error as Error).message}`);
  }

  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return rejectMessage('schema', describeIssues(parsed.error.issues, json));
  const envelope = parsed.data;

  if (key !== null) {
    const keyText = typeof key === 'string' ? key : decodeText(key);
    if (keyText !== envelope.meterId) {
      return rejectMessage(
        'key_mismatch',
        `message key ${keyText === null ? '(not UTF-8)' : quote(keyText)} differs from meterId ${quote(envelope.meterId)}`,
      );
    }
  }

  const readings: DecodedReading[] = [];
  const itemErrors: ItemError[] = [];
  const items = envelope.readings;
  for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
    const item = items[itemIndex];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      itemErrors.push({
        itemIndex,
        rule: 'malformed_reading',
        detail: `readings[${itemIndex}]: expected object, received ${typeName(item)}`,
      });
      continue;
    }
    const { intervalStart, kwh } = item as { intervalStart?: unknown; kwh?: unknown };

    if (typeof intervalStart !== 'string') {
      itemErrors.push({
        itemIndex,
        rule: 'unparseable_timestamp',
        detail:
          intervalStart === undefined
            ? `readings[${itemIndex}].intervalStart: missing (expected string)`
            : `readings[${itemIndex}].intervalStart: expected string, received ${typeName(intervalStart)}`,
      });
      continue;
    }
    const intervalStartMs = parseInstant(intervalStart);
    if (intervalStartMs === null) {
      itemErrors.push({
        itemIndex,
        rule: 'unparseable_timestamp',
        detail: `readings[${itemIndex}].intervalStart: ${quote(intervalStart)} is not an ISO-8601 instant with offset or Z`,
        intervalStart,
      });
      continue;
    }

    if (typeof kwh !== 'number' || !Number.isFinite(kwh)) {
      itemErrors.push({
        itemIndex,
        rule: 'not_a_number',
        detail:
          kwh === undefined
            ? `readings[${itemIndex}].kwh: missing (expected number)`
            : typeof kwh === 'number'
              ? `readings[${itemIndex}].kwh: ${String(kwh)} is not a finite number`
              : `readings[${itemIndex}].kwh: expected number, received ${typeName(kwh)}`,
        intervalStart,
        intervalStartMs,
      });
      continue;
    }
    const kwhText = formatKwh(kwh);
    if (kwhText === null) {
      itemErrors.push({
        itemIndex,
        rule: 'precision',
        detail: `readings[${itemIndex}].kwh: ${String(kwh)} has more than 4 decimal places`,
        intervalStart,
        intervalStartMs,
      });
      continue;
    }
    readings.push({ itemIndex, intervalStart, intervalStartMs, kwh: kwhText, kwhValue: kwh });
  }

  const message: DecodedReadingMessage = {
    meterId: envelope.meterId,
    itemCount: items.length,
    readings,
    itemErrors,
  };
  if (envelope.sentAt !== undefined) {
    message.sentAt = envelope.sentAt;
    const sentAtMs = parseInstant(envelope.sentAt);
    if (sentAtMs !== null) message.sentAtMs = sentAtMs;
  }
  if (envelope.source !== undefined) message.source = envelope.source;
  return { ok: true, message };
}
