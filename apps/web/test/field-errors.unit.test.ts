import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { CorrectionError } from '@meterops/db/queries/corrections';
import { RegistryError } from '@meterops/db/queries/registry';
import { formatError, mapError } from '../src/server/errors';
import { fieldError } from '../src/server/field-error';

const shapeOf = (error: TRPCError) =>
  formatError({
    error,
    shape: {
      message: error.message,
      code: -32600,
      data: { code: error.code, httpStatus: 400, path: 'readings.correct' },
    },
  });

describe('field errors', () => {
  it('answers a server-side rule like a schema failure: BAD_REQUEST with the field named', () => {
    const shape = shapeOf(fieldError('email', 'A user with this email exists'));
    expect(shape.data.code).toBe('BAD_REQUEST');
    expect(shape.data.fieldErrors).toEqual({ email: ['A user with this email exists'] });
  });

  it('maps the batch layer’s CorrectionError to the field it names, keeping no stack', () => {
    const internal = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new CorrectionError('kwh', '50 kWh exceeds the maximum'),
    });
    const mapped = mapError(internal);
    expect(mapped.code).toBe('BAD_REQUEST');
    const shape = shapeOf(mapped);
    expect(shape.data.fieldErrors).toEqual({ kwh: ['50 kWh exceeds the maximum'] });
    expect(shape.data).not.toHaveProperty('stack');
  });

  it('maps the registry’s RegistryError to the field it names', () => {
    const internal = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new RegistryError('timeZone', 'The time zone cannot change'),
    });
    const shape = shapeOf(mapError(internal));
    expect(shape.data.code).toBe('BAD_REQUEST');
    expect(shape.data.fieldErrors).toEqual({ timeZone: ['The time zone cannot change'] });
  });
});
