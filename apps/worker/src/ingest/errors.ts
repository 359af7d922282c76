import { StaleIngestPositionError } from '@meterops/db/queries/ingest';

/**
 * SQLSTATE classes that say the database cannot serve us right now, as opposed to refusing this data:
 * 08 connection exception, 53 insufficient resources, 57 operator intervention (shutdown, cannot connect
 * now, statement timeout), 58 system error, and 25006 (a read-only standby after a failover), plus
 * serialization failures and deadlocks, which succeed when tried again.
 */
const RETRYABLE_SQLSTATE = /^(08|53|57|58)|^25006$|^40001$|^40P01$/;

/** postgres.js's own codes for a connection that failed or went away, and Node's socket errors. */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when an error means "the infrastructure failed, try the same work again later" (Postgres down or
 * restarting, a rebalance overlap), false when the data itself was refused: only the former may hold up
 * a partition, and only with retries.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (error instanceof StaleIngestPositionError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno, cause } = error as { code?: unknown; errno?: unknown; cause?: unknown };
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || RETRYABLE_SQLSTATE.test(code))) return true;
  if (typeof errno === 'string' && CONNECTION_CODES.has(errno)) return true;
  if (error instanceof AggregateError) return error.errors.some(isInfrastructureError);
  return cause !== undefined && cause !== error && isInfrastructureError(cause);
}
