/**
 * Re-driving quarantined rejects: the Kafka messages that send them through ingest again, rebuilt per the
 * message contract (docs/message-contract.md), so a re-driven reading meets exactly the validation any
 * producer's reading meets. Pure: the caller claims the rows and publishes what this returns.
 */

/** Kafka header naming the rejected_readings ids a message re-drives (a comma list, bounded). */
export const REDRIVE_OF_HEADER = 'meterops-redrive-of';
/** Kafka header naming who re-drove it (a user id, or `cli:<name>`). */
export const REDRIVEN_BY_HEADER = 'meterops-redriven-by';

/** The contract's limit on items per message. */
export const MAX_READINGS_PER_MESSAGE = 2000;
/** Ids listed in the redrive-of header before it says how many more; keeps a header far below a batch's size. */
export const MAX_HEADER_IDS = 100;
/**
 * Bytes of message values per publish call: kafkajs puts one partition's messages of a call in one
 * record batch, which the broker refuses above `message.max.bytes` (1 MiB by default).
 */
export const MAX_BYTES_PER_PUBLISH = 512 * 1024;

/** What a rejected_readings row holds that a re-drive needs. */
export interface RedriveSource {
  id: number;
  /** Position of the reading in the message; -1 when the whole message was rejected. */
  itemIndex: number;
  meterId: string | null;
  messageKey: string | null;
  /** `{"meterId", "reading"}` for a reading-level reject; the message as text for a whole-message one. */
  payload: string;
  /** The whole message byte for byte, when the worker kept it. */
  payloadBytes: Uint8Array | null;
}

export interface RedriveMessage {
  key: string | null;
  value: string | Buffer;
  headers: Record<string, string>;
  /** The rejects this message carries. */
  rejectIds: number[];
}

/** `{"meterId": …, "reading": …}` as the worker stores a reading-level reject, or null if it is not that. */
function readingOf(payload: string): { meterId: string; reading: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(payload);
    if (typeof parsed !== 'object' || parsed === null || !('reading' in parsed)) return null;
    const { meterId, reading } = parsed as { meterId?: unknown; reading: unknown };
    return typeof meterId === 'string' ? { meterId, reading } : null;
  } catch {
    return null;
  }
}

/**
 * An item's interval as an instant, so that `…T01:15:00+01:00` and `…T00:15:00Z` count as one; the raw
 * value when it does not parse (ingest will reject it anyway, and no two such items collide wrongly).
 */
function intervalKey(reading: unknown): string | null {
  if (typeof reading !== 'object' || reading === null) return null;
  const raw = (reading as { intervalStart?: unknown }).intervalStart;
  if (typeof raw !== 'string') return null;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? `raw:${raw}` : String(ms);
}

export function redriveOfHeader(ids: readonly number[]): string {
  if (ids.length <= MAX_HEADER_IDS) return ids.join(',');
  return `${ids.slice(0, MAX_HEADER_IDS).join(',')},+${ids.length - MAX_HEADER_IDS} more`;
}

/**
 * The messages that re-drive `rejects`, in the order of their ids:
 * - reading-level rejects of one meter go out together as `{"meterId", "readings": [items as sent]}`,
 *   keyed by the meter, at most 2000 items a message. An item whose interval the open message already
 *   carries starts a new message instead: ingest keeps the first of two equal intervals in one message
 *   (`duplicate_interval`), whereas across messages the later one wins, as it did when it was sent.
 * - a whole-message reject is sent as it arrived: its bytes when kept, else its text, with its original
 *   key (a `key_mismatch` is meant to meet the same check again).
 * - a reading-level payload that is not the worker's `{"meterId", "reading"}` shape falls back to the
 *   whole-message rule.
 */
export function buildRedriveMessages(
  rejects: readonly RedriveSource[],
  options: { actor: string; maxReadingsPerMessage?: number },
): RedriveMessage[] {
  const limit = options.maxReadingsPerMessage ?? MAX_READINGS_PER_MESSAGE;
  interface Group {
    meterId: string;
    items: unknown[];
    intervals: Set<string>;
    ids: number[];
  }
  const slots: (Group | RedriveMessage)[] = [];
  const open = new Map<string, Group>();

  for (const reject of [...rejects].sort((a, b) => a.id - b.id)) {
    const reading = reject.itemIndex >= 0 ? readingOf(reject.payload) : null;
    if (reading === null) {
      slots.push({
        key: reject.messageKey ?? reject.meterId,
        value: reject.payloadBytes ? Buffer.from(reject.payloadBytes) : reject.payload,
        headers: {},
        rejectIds: [reject.id],
      });
      continue;
    }
    const interval = intervalKey(reading.reading);
    let group = open.get(reading.meterId);
    if (!group || group.items.length >= limit || (interval !== null && group.intervals.has(interval))) {
      group = { meterId: reading.meterId, items: [], intervals: new Set(), ids: [] };
      open.set(reading.meterId, group);
      slots.push(group);
    }
    group.items.push(reading.reading);
    if (interval !== null) group.intervals.add(interval);
    group.ids.push(reject.id);
  }

  return slots.map((slot) => {
    const message: RedriveMessage =
      'items' in slot
        ? {
            key: slot.meterId,
            value: JSON.stringify({ meterId: slot.meterId, readings: slot.items }),
            headers: {},
            rejectIds: slot.ids,
          }
        : slot;
    message.headers = {
      [REDRIVE_OF_HEADER]: redriveOfHeader(message.rejectIds),
      [REDRIVEN_BY_HEADER]: options.actor,
    };
    return message;
  });
}

/** Consecutive runs of `messages` of at most `maxBytes` of values each (a larger message alone). */
export function slicesForPublishing<M extends { value: string | Buffer }>(
  messages: readonly M[],
  maxBytes = MAX_BYTES_PER_PUBLISH,
): M[][] {
  const slices: M[][] = [];
  let current: M[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.value);
    if (current.length > 0 && bytes + size > maxBytes) {
      slices.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) slices.push(current);
  return slices;
}
