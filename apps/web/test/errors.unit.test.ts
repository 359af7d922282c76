import { TRPCError } from '@trpc/server';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { mapError } from '../src/server/errors';

/** What postgres.js throws, wrapped the way drizzle wraps query errors. */
function queryError(code: string): TRPCError {
  const driverError = Object.assign(new Error('driver said no'), { code });
  const drizzleError = new Error('Failed query: insert …', { cause: driverError });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: drizzleError });
}

describe('mapError', () => {
  it('turns a unique violation into CONFLICT and keeps the original as cause', () => {
    const original = queryError('23505');
    const mapped = mapError(original);
    expect(mapped.code).toBe('CONFLICT');
    expect(mapped.cause).toBe(original.cause);
  });

  it('turns an unreachable database into SERVICE_UNAVAILABLE', () => {
    expect(mapError(queryError('ECONNREFUSED')).code).toBe('SERVICE_UNAVAILABLE');
    expect(mapError(queryError('08006')).code).toBe('SERVICE_UNAVAILABLE');
  });

  it('turns a Kafka failure, also one a transaction rethrew, into SERVICE_UNAVAILABLE', () => {
    const refused = new KafkaJSNumberOfRetriesExceeded(
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      { retryCount: 5, retryTime: 4_000 },
    );
    const mapped = mapError(new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: refused }));
    expect(mapped.code).toBe('SERVICE_UNAVAILABLE');
    expect(mapped.cause).toBe(refused);
  });

  it('turns a cancelled statement into TIMEOUT', () => {
    expect(mapError(queryError('57014')).code).toBe('TIMEOUT');
  });

  it('leaves errors thrown on purpose and unknown failures alone', () => {
    const forbidden = new TRPCError({ code: 'FORBIDDEN' });
    expect(mapError(forbidden)).toBe(forbidden);
    const unknown = new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause: new Error('bug') });
    expect(mapError(unknown)).toBe(unknown);
  });
});
