import { listBillingPeriods } from '@meterops/db/queries/billing';
import { seedBillingPeriods } from '@meterops/db/seed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './harness';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase(10);
});

afterAll(async () => {
  await database?.drop();
});

describe('seedBillingPeriods', () => {
  it('invoices last month and last week for the first customers, once', async () => {
    expect(await seedBillingPeriods(database.db, { customers: 3, today: '2026-11-24' })).toBe(3 * 2 + 3);
    expect(await seedBillingPeriods(database.db, { customers: 3, today: '2026-11-24' })).toBe(0);
    const periods = await listBillingPeriods(database.sql, { customerId: 'CUS-000001' });
    expect(
      periods.map((period) => [
        period.meterId,
        period.periodStart,
        period.periodEnd,
        period.invoicedAt !== null,
        period.invoicedKwh,
      ]),
    ).toEqual([
      ['MTR-000001', '2026-11-16', '2026-11-22', true, '0.0000'],
      [null, '2026-11-01', '2026-11-30', false, null],
      [null, '2026-10-01', '2026-10-31', true, '0.0000'],
    ]);
  });
});
