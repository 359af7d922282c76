/**
 * The registry: meters, customers, tariffs, billing periods and suppliers. Administrators write; customer service
 * reads all of it (to answer a caller); operators read meters (to tell an unknown meter from a removed
 * one). Refusals the database decides (an id taken, a change stored readings forbid) arrive as
 * `RegistryError`s and are answered next to their field by ./errors.ts.
 */
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { maxKwhPerInterval } from '@meterops/db/fleet';
import {
  cancelBillingPeriod,
  createCustomer,
  createMeter,
  createRegistryBillingPeriod,
  createTariff,
  deactivateCustomer,
  deactivateMeter,
  deactivateTariff,
  getBillingPeriod,
  getCustomer,
  getMeter,
  getTariff,
  listBillingPeriods,
  listCustomers,
  listMeters,
  listTariffs,
  reactivateMeter,
  updateCustomer,
  updateMeter,
  updateRegistryBillingPeriod,
  updateTariff,
  type PeriodRefusal,
} from '@meterops/db/queries/registry';
import {
  createSupplier,
  deactivateSupplier,
  getSupplier,
  listSuppliers,
  meterSupplierHistory,
  switchSupplier,
  updateSupplier,
} from '@meterops/db/queries/suppliers';
import { registeredMeterIdSchema } from '@meterops/domain/contract';
import {
  createBillingPeriodSchema,
  customerSchema,
  deactivateMeterSchema,
  listInputSchema,
  meterSchema,
  REGISTRY_PAGE_SIZE,
  tariffIdSchema,
  tariffSchema,
  updateBillingPeriodSchema,
} from '../../lib/registry-params';
import { supplierIdSchema, supplierSchema, supplierSwitchSchema } from '../../lib/settlement-params';
import { customerIdSchema } from '../../lib/user-params';
import { router, withRole } from '../trpc';

const adminProcedure = withRole('admin');
const readRegistry = withRole('agent', 'admin');
const readMeters = withRole('operator', 'agent', 'admin');

function found<T>(row: T | null, what: string): T {
  if (row === null) throw new TRPCError({ code: 'NOT_FOUND', message: `There is no ${what}.` });
  return row;
}

function periodOutcome<T>(outcome: T | PeriodRefusal, id: number): T {
  if (outcome === 'not_found')
    throw new TRPCError({ code: 'NOT_FOUND', message: `There is no billing period #${id}.` });
  if (outcome === 'invoiced') {
    throw new TRPCError({
      code: 'CONFLICT',
      message: `Billing period #${id} is invoiced; it stays as billed (later changes to its days raise billing alerts).`,
    });
  }
  if (outcome === 'cancelled') {
    throw new TRPCError({ code: 'CONFLICT', message: `Billing period #${id} is cancelled.` });
  }
  return outcome;
}

const list = (input: z.infer<typeof listInputSchema>) => ({ ...input, limit: REGISTRY_PAGE_SIZE });

const metersRouter = router({
  list: readMeters
    .input(listInputSchema.extend({ customerId: customerIdSchema.optional() }))
    .query(({ ctx, input }) => listMeters(ctx.sql, list(input))),
  get: readMeters
    .input(z.object({ id: registeredMeterIdSchema }))
    .query(async ({ ctx, input }) => found(await getMeter(ctx.sql, input), `meter ${input.id}`)),
  /**
   * Registers a meter. The worker looks every id it does not know up in Postgres before rejecting a
   * reading as unknown_meter, so readings sent from now on are accepted without a restart.
   */
  create: adminProcedure.input(meterSchema).mutation(({ ctx, input }) =>
    createMeter(ctx.sql, {
      ...input,
      maxKwhPerInterval: input.maxKwhPerInterval ?? maxKwhPerInterval(input.segment, input.intervalMinutes),
    }),
  ),
  update: adminProcedure.input(meterSchema).mutation(async ({ ctx, input }) =>
    found(
      await updateMeter(ctx.sql, {
        ...input,
        maxKwhPerInterval: input.maxKwhPerInterval ?? maxKwhPerInterval(input.segment, input.intervalMinutes),
      }),
      `meter ${input.id}`,
    ),
  ),
  deactivate: adminProcedure
    .input(deactivateMeterSchema)
    .mutation(async ({ ctx, input }) => found(await deactivateMeter(ctx.sql, input), `meter ${input.id}`)),
  reactivate: adminProcedure
    .input(z.object({ id: registeredMeterIdSchema }))
    .mutation(async ({ ctx, input }) => found(await reactivateMeter(ctx.sql, input), `meter ${input.id}`)),
  /** The meter's supplier registrations, the retracted ones too (docs/settlement.md). */
  suppliers: readMeters
    .input(z.object({ id: registeredMeterIdSchema }))
    .query(({ ctx, input }) => meterSupplierHistory(ctx.sql, { meterId: input.id })),
  /** Moves the meter to a supplier from a local settlement day on. */
  switchSupplier: adminProcedure
    .input(supplierSwitchSchema)
    .mutation(({ ctx, input }) => switchSupplier(ctx.sql, { ...input, actor: ctx.user.id })),
});

const suppliersRouter = router({
  list: readMeters.input(listInputSchema).query(({ ctx, input }) => listSuppliers(ctx.sql, list(input))),
  get: readMeters
    .input(z.object({ id: supplierIdSchema }))
    .query(async ({ ctx, input }) => found(await getSupplier(ctx.sql, input), `supplier ${input.id}`)),
  create: adminProcedure.input(supplierSchema).mutation(({ ctx, input }) => createSupplier(ctx.sql, input)),
  update: adminProcedure
    .input(supplierSchema)
    .mutation(async ({ ctx, input }) => found(await updateSupplier(ctx.sql, input), `supplier ${input.id}`)),
  deactivate: adminProcedure
    .input(z.object({ id: supplierIdSchema }))
    .mutation(async ({ ctx, input }) =>
      found(await deactivateSupplier(ctx.sql, input), `supplier ${input.id}`),
    ),
});

const customersRouter = router({
  list: readRegistry.input(listInputSchema).query(({ ctx, input }) => listCustomers(ctx.sql, list(input))),
  get: readRegistry
    .input(z.object({ id: customerIdSchema }))
    .query(async ({ ctx, input }) => found(await getCustomer(ctx.sql, input), `customer ${input.id}`)),
  create: adminProcedure
    .input(customerSchema)
    .mutation(({ ctx, input }) => createCustomer(ctx.sql, { ...input, email: input.email || null })),
  update: adminProcedure
    .input(customerSchema)
    .mutation(async ({ ctx, input }) =>
      found(await updateCustomer(ctx.sql, { ...input, email: input.email || null }), `customer ${input.id}`),
    ),
  deactivate: adminProcedure
    .input(z.object({ id: customerIdSchema }))
    .mutation(async ({ ctx, input }) =>
      found(await deactivateCustomer(ctx.sql, input), `customer ${input.id}`),
    ),
});

const tariffsRouter = router({
  list: readRegistry.input(listInputSchema).query(({ ctx, input }) => listTariffs(ctx.sql, list(input))),
  get: readRegistry
    .input(z.object({ id: tariffIdSchema }))
    .query(async ({ ctx, input }) => found(await getTariff(ctx.sql, input), `tariff ${input.id}`)),
  create: adminProcedure.input(tariffSchema).mutation(({ ctx, input }) => createTariff(ctx.sql, input)),
  update: adminProcedure
    .input(tariffSchema)
    .mutation(async ({ ctx, input }) => found(await updateTariff(ctx.sql, input), `tariff ${input.id}`)),
  deactivate: adminProcedure
    .input(z.object({ id: tariffIdSchema }))
    .mutation(async ({ ctx, input }) => found(await deactivateTariff(ctx.sql, input), `tariff ${input.id}`)),
});

const periodIdSchema = z.object({ id: z.number().int().positive() });

const billingPeriodsRouter = router({
  list: readRegistry
    .input(listInputSchema)
    .query(({ ctx, input }) => listBillingPeriods(ctx.sql, list(input))),
  get: readRegistry
    .input(periodIdSchema)
    .query(async ({ ctx, input }) =>
      found(await getBillingPeriod(ctx.sql, input), `billing period #${input.id}`),
    ),
  create: adminProcedure
    .input(createBillingPeriodSchema)
    .mutation(({ ctx, input }) =>
      createRegistryBillingPeriod(ctx.sql, { ...input, meterId: input.meterId || null }),
    ),
  update: adminProcedure
    .input(updateBillingPeriodSchema)
    .mutation(async ({ ctx, input }) =>
      periodOutcome(
        await updateRegistryBillingPeriod(ctx.sql, { ...input, meterId: input.meterId || null }),
        input.id,
      ),
    ),
  /** Withdraws an open period; an invoiced one is billing's record and stays. */
  deactivate: adminProcedure
    .input(periodIdSchema)
    .mutation(async ({ ctx, input }) => periodOutcome(await cancelBillingPeriod(ctx.sql, input), input.id)),
});

export const registryRouter = router({
  meters: metersRouter,
  customers: customersRouter,
  tariffs: tariffsRouter,
  billingPeriods: billingPeriodsRouter,
  suppliers: suppliersRouter,
});
