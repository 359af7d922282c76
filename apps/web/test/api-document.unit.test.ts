/**
 * The REST API's OpenAPI document: valid OpenAPI 3.1 by the official schema, every operation secured
 * with its scope's refusals documented, and the committed copies (docs/contracts/openapi.json and the
 * client types test/api/schema.d.ts) up to date with the routes.
 */
import { readFileSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { apiDocument } from '../src/server/api/document';
import { OPENAPI_JSON_PATH, OPENAPI_TYPES_PATH, renderApiArtifacts } from '../src/server/api/artifacts';
import { readingAsOf, type MeterReading } from '@meterops/db/queries/meter-readings';
import { RateLimiter } from '../src/server/api/rate-limit';
import { decodeCursor, encodeCursor } from '../src/server/api/cursor';

describe('the OpenAPI document', () => {
  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(apiDocument() as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents 401, 403 and 429 on every operation but the document itself', () => {
    const document = apiDocument();
    const operations = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { responses?: Record<string, unknown> }>).map(
        ([method, operation]) => ({
          name: `${method.toUpperCase()} ${path}`,
          responses: Object.keys(operation.responses ?? {}),
        }),
      ),
    );
    expect(operations.length).toBeGreaterThanOrEqual(22);
    for (const operation of operations) {
      expect(operation.responses, operation.name).toEqual(expect.arrayContaining(['401', '403', '429']));
    }
  });

  it('is committed as generated, with the client types (npm run openapi:write -w @meterops/web)', async () => {
    const { json, types } = await renderApiArtifacts();
    expect(readFileSync(OPENAPI_JSON_PATH, 'utf8')).toBe(json);
    expect(readFileSync(OPENAPI_TYPES_PATH, 'utf8')).toBe(types);
  });
});

describe('API building blocks', () => {
  it('refuses past the limit within a minute and says how long to wait', () => {
    const limiter = new RateLimiter();
    expect(limiter.take('k', 2, 0)).toBe(0);
    expect(limiter.take('k', 2, 10_000)).toBe(0);
    expect(limiter.take('k', 2, 15_500)).toBe(45);
    expect(limiter.take('other', 2, 15_500)).toBe(0);
    expect(limiter.take('k', 2, 60_000)).toBe(0);
  });

  it('round-trips cursors and refuses foreign ones', () => {
    expect(decodeCursor(encodeCursor('MTR-1'))).toBe('MTR-1');
    expect(decodeCursor(encodeCursor(1_700_000_000_000))).toBe(1_700_000_000_000);
    expect(decodeCursor('not a cursor')).toBeUndefined();
  });

  const reading: MeterReading = {
    intervalStart: new Date('2024-03-10T01:00:00Z'),
    kwh: '0.7500',
    quality: 'edited',
    estimationMethod: null,
    flags: [],
    source: 'agent',
    version: 2,
    receivedAt: new Date('2024-03-20T09:00:00Z'),
    revisedAt: new Date('2024-03-20T09:00:00Z'),
    firstReceivedAt: new Date('2024-03-11T01:00:00Z'),
  };
  const revision = {
    intervalStart: reading.intervalStart,
    oldKwh: '0.5000',
    oldQuality: 'actual' as const,
    oldVersion: 1,
    createdAt: new Date('2024-03-20T09:00:00Z'),
  };

  it('reconstructs a reading as of an instant from the first revision after it', () => {
    expect(readingAsOf(reading, revision, new Date('2024-03-15T00:00:00Z'))).toMatchObject({
      kwh: '0.5000',
      quality: 'actual',
      version: 1,
      flags: null,
      revisedAt: null,
    });
    expect(readingAsOf(reading, undefined, new Date('2024-03-21T00:00:00Z'))).toBe(reading);
    expect(readingAsOf(reading, revision, new Date('2024-03-10T00:00:00Z'))).toBeNull();
    expect(
      readingAsOf(
        reading,
        { ...revision, oldKwh: null, oldQuality: null, oldVersion: null },
        new Date('2024-03-15T00:00:00Z'),
      ),
    ).toBeNull();
  });
});
