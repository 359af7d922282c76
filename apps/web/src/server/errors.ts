/**
 * The one place errors are translated for clients. Procedures throw `TRPCError` for what they decide
 * (FORBIDDEN, NOT_FOUND, …) and let everything else propagate; here infrastructure failures get a code a
 * client can act on, the original stays as `cause` for the server log, and production responses never
 * carry stack traces or internal messages.
 */
import { TRPCError, type TRPCDefaultErrorShape } from '@trpc/server';
import { z, ZodError } from 'zod';
import { env } from '../env';
import { zodFieldError } from './field-error';

/** First `code` property along the cause chain: a Postgres SQLSTATE or a Node.js system error code. */
function findErrorCode(error: unknown): string | null {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return null;
}

function hasTimeout(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    if (current.name === 'TimeoutError') return true;
    current = current.cause;
  }
  return false;
}

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * A kafkajs failure anywhere along the cause chain (its error classes are all named `KafkaJS…`): the broker
 * is unreachable or refused the messages. Re-drives publish inside their transaction, so nothing changed.
 */
function isKafkaFailure(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth += 1) {
    if (current.name.startsWith('KafkaJS')) return true;
    current = current.cause;
  }
  return false;
}

/** Errors of the query layer that name the one input they refuse (an Error with a string `field`). */
const fieldRefusalNames = new Set(['CorrectionError', 'RegistryError', 'SettlementError', 'ApiKeyError']);

/**
 * A domain function's refusal of one input (the batch layer's `CorrectionError`, the registry's
 * `RegistryError`), answered like a schema failure so the form shows it next to that field.
 */
function fieldRefusal(error: unknown): TRPCError | null {
  if (!(error instanceof Error) || !fieldRefusalNames.has(error.name)) return null;
  const field: unknown = (error as { field?: unknown }).field;
  if (typeof field !== 'string') return null;
  return new TRPCError({
    code: 'BAD_REQUEST',
    message: error.message,
    cause: zodFieldError(field, error.message),
  });
}

/** Maps an unexpected error to the code a client can act on; errors thrown on purpose pass unchanged. */
export function mapError(error: TRPCError): TRPCError {
  if (error.code !== 'INTERNAL_SERVER_ERROR') return error;
  const cause = error.cause ?? error;
  const refusal = fieldRefusal(cause);
  if (refusal !== null) return refusal;
  const code = findErrorCode(cause);
  const mapped = (next: TRPCError['code'], message: string) => new TRPCError({ code: next, message, cause });

  if (code === '23505') return mapped('CONFLICT', 'That record already exists.');
  if (code === '23503')
    return mapped('CONFLICT', 'That refers to a record that does not exist or is still in use.');
  if (code === '40001' || code === '40P01')
    return mapped('CONFLICT', 'Someone else changed the same data; try again.');
  if (isKafkaFailure(cause)) {
    return mapped(
      'SERVICE_UNAVAILABLE',
      'Kafka did not take the messages; nothing was changed. Try again shortly.',
    );
  }
  if (code === '57014' || hasTimeout(cause))
    return mapped('TIMEOUT', 'The request took too long; try again.');
  if (code !== null && (unavailableCodes.has(code) || code.startsWith('08') || code === '57P03')) {
    return mapped(
      'SERVICE_UNAVAILABLE',
      'A service the portal depends on is unavailable; try again shortly.',
    );
  }
  return error;
}

const GENERIC_MESSAGE = 'Something went wrong on our side. It has been logged.';

export function formatError({ shape, error }: { shape: TRPCDefaultErrorShape; error: TRPCError }) {
  const production = env.NODE_ENV === 'production';
  const invalidInput = error.code === 'BAD_REQUEST' && error.cause instanceof ZodError ? error.cause : null;
  const fieldErrors = invalidInput ? z.flattenError(invalidInput).fieldErrors : null;
  let message = shape.message;
  if (invalidInput) message = 'Some of the input is not valid; see fieldErrors.';
  else if (production && error.code === 'INTERNAL_SERVER_ERROR') message = GENERIC_MESSAGE;
  return {
    message,
    code: shape.code,
    data: {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      path: shape.data.path,
      fieldErrors,
      // Only a developer's own machine sees where an error came from.
      ...(env.NODE_ENV === 'development' && shape.data.stack ? { stack: shape.data.stack } : {}),
    },
  };
}
