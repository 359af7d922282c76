import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MAX_READINGS_PER_MESSAGE,
  decodeReadingMessage,
  readingMessageJsonSchema,
  readingMessageSchema,
  type ReadingMessage,
} from '../src/contract';

const example: ReadingMessage = {
  meterId: 'MTR-000042',
  readings: [{ intervalStart: '2026-11-22T00:15:00Z', kwh: 0.1234 }],
  sentAt: '2026-11-22T00:31:02Z',
  source: 'head-end-7',
};

function decodeJson(value: unknown, key: string | null = 'MTR-000042') {
  return decodeReadingMessage(JSON.stringify(value), key);
}

function decodedMessage(value: unknown) {
  const result = decodeJson(value);
  if (!result.ok) throw new Error(`expected ok, got ${result.rule}: ${result.detail}`);
  return result.message;
}

describe('decodeReadingMessage: accepted messages', () => {
  it('decodes a single interval with exact kWh text', () => {
    expect(decodeReadingMessage(Buffer.from(JSON.stringify(example)), Buffer.from('MTR-000042'))).toEqual({
      ok: true,
      message: {
        meterId: 'MTR-000042',
        sentAt: '2026-11-22T00:31:02Z',
        sentAtMs: Date.parse('2026-11-22T00:31:02Z'),
        source: 'head-end-7',
        itemCount: 1,
        readings: [
          {
            itemIndex: 0,
            intervalStart: '2026-11-22T00:15:00Z',
            intervalStartMs: Date.parse('2026-11-22T00:15:00Z'),
            kwh: '0.1234',
            kwhValue: 0.1234,
          },
        ],
        itemErrors: [],
      },
    });
  });

  it('decodes a daily profile of 96 readings', () => {
    const dayStart = Date.parse('2026-11-21T23:00:00Z');
    const readings = Array.from({ length: 96 }, (_, i) => ({
      intervalStart: new Date(dayStart + i * 900_000).toISOString(),
      kwh: i / 100,
    }));
    const message = decodedMessage({ meterId: 'MTR-000042', readings });
    expect(message.itemCount).toBe(96);
    expect(message.readings).toHaveLength(96);
    expect(message.readings[95]).toMatchObject({ intervalStartMs: dayStart + 95 * 900_000, kwh: '0.9500' });
    expect(message.itemErrors).toEqual([]);
  });

  it('accepts a message without key, and ignores unknown fields', () => {
    const result = decodeJson(
      { ...example, firmware: '1.2', readings: [{ ...example.readings[0], phase: 'L1' }] },
      null,
    );
    expect(result.ok).toBe(true);
    if (result.ok) expect(Object.keys(result.message.readings[0] ?? {})).not.toContain('phase');
  });

  it('keeps the published schema valid for the documented example', () => {
    expect(readingMessageSchema.safeParse(example).success).toBe(true);
  });
});

describe('decodeReadingMessage: whole-message rejections', () => {
  it('rejects tombstones and blank values as empty_message', () => {
    expect(decodeReadingMessage(null, 'MTR-1')).toEqual({
      ok: false,
      rule: 'empty_message',
      detail: 'message has no value (tombstone)',
    });
    expect(decodeReadingMessage(Buffer.alloc(0), 'MTR-1')).toMatchObject({
      ok: false,
      rule: 'empty_message',
    });
    expect(decodeReadingMessage(' \n', 'MTR-1')).toMatchObject({ ok: false, rule: 'empty_message' });
  });

  it('rejects values that are not UTF-8 JSON as malformed_json', () => {
    expect(decodeReadingMessage(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), null)).toEqual({
      ok: false,
      rule: 'malformed_json',
      detail: 'value is not valid UTF-8',
    });
    const result = decodeReadingMessage('{"meterId": "MTR-1",', null);
    expect(result).toMatchObject({ ok: false, rule: 'malformed_json' });
    if (!result.ok) expect(result.detail).toMatch(/^value is not valid JSON: /);
  });

  it('rejects envelope type errors as schema with a readable detail', () => {
    expect(decodeReadingMessage('[1,2]', null)).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'message: expected object, received array',
    });
    expect(decodeJson({ meterId: 42, readings: 'none' })).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'meterId: expected string, received number; readings: expected array, received string',
    });
    expect(decodeJson({ readings: [] })).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'meterId: missing (expected string); readings: must have at least 1 item(s)',
    });
  });

  it('rejects sizes out of range as schema', () => {
    expect(decodeJson({ meterId: 'M'.repeat(65), readings: example.readings })).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'meterId: must be at most 64 characters long',
    });
    const tooMany = Array.from({ length: MAX_READINGS_PER_MESSAGE + 1 }, () => example.readings[0]);
    expect(decodeJson({ meterId: 'MTR-000042', readings: tooMany })).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'readings: must have at most 2000 items',
    });
  });

  it('rejects a sentAt without offset as schema', () => {
    expect(decodeJson({ ...example, sentAt: '2026-11-22T00:31:02' })).toEqual({
      ok: false,
      rule: 'schema',
      detail: 'sentAt: "2026-11-22T00:31:02" is not an ISO-8601 instant with offset or Z',
    });
  });

  it('rejects a key that differs from meterId as key_mismatch', () => {
    expect(decodeJson(example, 'MTR-000043')).toEqual({
      ok: false,
      rule: 'key_mismatch',
      detail: 'message key "MTR-000043" differs from meterId "MTR-000042"',
    });
  });
});

describe('decodeReadingMessage: item errors reject only their item', () => {
  it('reports each bad item with its own rule and keeps its siblings', () => {
    const message = decodedMessage({
      meterId: 'MTR-000042',
      readings: [
        { intervalStart: '2026-11-22T00:00:00Z', kwh: 0.1 },
        'not an object',
        { intervalStart: '2026-11-22T00:15:00', kwh: 0.2 },
        { intervalStart: '2026-11-22T00:30:00Z', kwh: '0.3' },
        { intervalStart: '2026-11-22T00:45:00Z', kwh: 0.12345 },
        { kwh: 0.5 },
        { intervalStart: '2026-11-22T01:00:00Z' },
        { intervalStart: '2026-11-22T01:15:00Z', kwh: 0.6 },
      ],
    });
    expect(message.itemCount).toBe(8);
    expect(message.readings.map((reading) => [reading.itemIndex, reading.kwh])).toEqual([
      [0, '0.1000'],
      [7, '0.6000'],
    ]);
    expect(message.itemErrors).toEqual([
      { itemIndex: 1, rule: 'malformed_reading', detail: 'readings[1]: expected object, received string' },
      {
        itemIndex: 2,
        rule: 'unparseable_timestamp',
        detail:
          'readings[2].intervalStart: "2026-11-22T00:15:00" is not an ISO-8601 instant with offset or Z',
        intervalStart: '2026-11-22T00:15:00',
      },
      {
        itemIndex: 3,
        rule: 'not_a_number',
        detail: 'readings[3].kwh: expected number, received string',
        intervalStart: '2026-11-22T00:30:00Z',
        intervalStartMs: Date.parse('2026-11-22T00:30:00Z'),
      },
      {
        itemIndex: 4,
        rule: 'precision',
        detail: 'readings[4].kwh: 0.12345 has more than 4 decimal places',
        intervalStart: '2026-11-22T00:45:00Z',
        intervalStartMs: Date.parse('2026-11-22T00:45:00Z'),
      },
      {
        itemIndex: 5,
        rule: 'unparseable_timestamp',
        detail: 'readings[5].intervalStart: missing (expected string)',
      },
      {
        itemIndex: 6,
        rule: 'not_a_number',
        detail: 'readings[6].kwh: missing (expected number)',
        intervalStart: '2026-11-22T01:00:00Z',
        intervalStartMs: Date.parse('2026-11-22T01:00:00Z'),
      },
    ]);
  });

  it('rejects a kWh that overflows to Infinity as not_a_number', () => {
    const result = decodeReadingMessage(
      '{"meterId":"MTR-000042","readings":[{"intervalStart":"2026-11-22T00:00:00Z","kwh":1e400}]}',
      null,
    );
    expect(result.ok && result.message.itemErrors[0]?.detail).toBe(
      'readings[0].kwh: Infinity is not a finite number',
    );
  });
});

describe('JSON Schema', () => {
  it('matches the committed docs/contracts/meter-readings.schema.json', () => {
    const committed: unknown = JSON.parse(
      readFileSync(new URL('../../../docs/contracts/meter-readings.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(readingMessageJsonSchema());
  });

  it('allows unknown properties and requires meterId and readings', () => {
    const schema = readingMessageJsonSchema();
    expect(schema).not.toHaveProperty('additionalProperties');
    expect(schema.required).toEqual(['meterId', 'readings']);
  });
});
