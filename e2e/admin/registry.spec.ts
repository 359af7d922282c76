/**
 * Runs after every other spec (the `registry` project of playwright.config.ts): the meter it registers
 * gets readings the worker stores, which changes the fleet-wide figures the other specs compare with.
 */
import { randomUUID } from 'node:crypto';
import { expect, saveScreenshot, test } from '../fixtures';
import { sql } from '../service/data';

/** Two half-hours of yesterday (UTC midnight is on every 30-minute grid of Europe/London). */
function yesterdaySlots(): string[] {
  const midnight = new Date();
  midnight.setUTCHours(0, 0, 0, 0);
  const day = midnight.getTime() - 86_400_000;
  return [new Date(day + 10 * 3_600_000).toISOString(), new Date(day + 10.5 * 3_600_000).toISOString()];
}

test('an administrator registers a meter, sees field errors, and re-drives its quarantined readings', async ({
  page,
  signInAs,
}, testInfo) => {
  test.setTimeout(120_000);
  const meterId = `E2E-REG-${randomUUID().slice(0, 8)}`;
  const slots = yesterdaySlots();
  // Readings of the meter the worker quarantined as unknown_meter before it was registered, stored the
  // way the worker stores a reading-level reject.
  for (const [index, intervalStart] of slots.entries()) {
    await sql`
      insert into rejected_readings (topic, partition, kafka_offset, item_index, message_key, meter_id, rule, detail, payload)
      values (${`e2e.registry.${meterId}`}, 0, ${index}, 0, ${meterId}, ${meterId}, 'unknown_meter', 'No meter with this id is registered.',
              ${JSON.stringify({ meterId, reading: { intervalStart, kwh: 0.25 + index / 100 } })})`;
  }

  await signInAs('admin');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
  await page
    .getByRole('navigation', { name: 'Administration' })
    .getByRole('link', { name: 'Registry' })
    .click();
  await expect(page.getByRole('heading', { level: 1, name: 'Registry' })).toBeVisible();

  const form = page.getByRole('form', { name: 'Register a meter' });
  await form.getByLabel('Meter id').fill(meterId);
  await form.getByLabel('Customer id').fill('CUS-000001');
  await form.getByLabel('Tariff id').fill('NO-SUCH-TARIFF');
  await form.getByLabel('Region').fill('london');
  await form.getByLabel('Time zone (IANA)').fill('Europe/Londn');
  await form.getByLabel('Installed at (UTC)').fill('2024-01-01T00:00');
  await form.getByRole('button', { name: 'Register meter' }).click();

  // Schema errors next to their fields first, then the database's answer about the tariff.
  await expect(form.getByLabel('Time zone (IANA)')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('Not an IANA time zone, e.g. Europe/London')).toBeVisible();
  await form.getByLabel('Time zone (IANA)').fill('Europe/London');
  await form.getByRole('button', { name: 'Register meter' }).click();
  await expect(form.getByLabel('Tariff id')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('There is no tariff NO-SUCH-TARIFF')).toBeVisible();

  await form.getByLabel('Tariff id').fill('RES-FLAT');
  await form.getByRole('button', { name: 'Register meter' }).click();
  const registered = page.locator(`[data-registered="${meterId}"]`);
  await expect(registered.getByText(`Registered ${meterId}.`)).toBeVisible();
  const [stored] = await sql<{ status: string; tariffId: string }[]>`
    select status, tariff_id as "tariffId" from meters where id = ${meterId}`;
  expect(stored).toEqual({ status: 'active', tariffId: 'RES-FLAT' });

  // The offer counts the open unknown_meter rejects of exactly this meter.
  const redrive = registered.getByRole('button', { name: 'Re-drive 2 quarantined readings' });
  await expect(redrive).toBeVisible();
  await saveScreenshot(page, testInfo, 'registry-redrive-offer');
  await redrive.click();
  await expect(registered.getByText(/Re-drove 2 quarantined readings in 1 messages/)).toBeVisible();

  // The running worker accepts them without a restart: it looks unknown ids up in Postgres each batch.
  await expect
    .poll(
      async () => {
        const [row] = await sql<{ count: number }[]>`
          select count(*)::int as count from readings where meter_id = ${meterId}`;
        return row?.count;
      },
      { timeout: 60_000 },
    )
    .toBe(2);

  // The new meter is in the list, and can be deactivated instead of deleted.
  await page.getByRole('searchbox', { name: 'Search meter or customer id' }).fill(meterId);
  const row = page.locator(`tr[data-meter="${meterId}"]`);
  await expect(row.getByText('Active')).toBeVisible();
});

test('customer service reads the registry without edit controls', async ({ page, signInAs }) => {
  await signInAs('agent');
  await page.goto('/service/registry');
  await expect(page.getByRole('heading', { level: 1, name: 'Registry' })).toBeVisible();
  await expect(page.locator('table[data-table="registry-meters"] tbody tr').first()).toBeVisible();
  await expect(page.getByRole('form', { name: 'Register a meter' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Edit meter/ })).toHaveCount(0);
  await page.getByRole('radio', { name: 'Tariffs' }).click();
  await expect(page.locator('tr[data-tariff="RES-FLAT"]')).toBeVisible();
});
