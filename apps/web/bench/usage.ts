/**
 * The end customer's endpoints for `npm run bench:web` (./web.ts): each call signs in as one of 50
 * customers of the bench fleet, picked in turn, so every call reads another meter the way real traffic
 * does. The comparison with similar homes is answered from a per-period snapshot of the fleet
 * (src/server/usage/peers.ts); the cost of building one is printed once, cold, beside the table.
 */
import type { Db, Sql } from '@meterops/db/client';
import { dailyKwhByMeter, usagePeriod } from '@meterops/db/queries/usage';
import type { InfluxQuery } from '@meterops/metrics/query';
import { SESSION_COOKIE } from '../src/server/auth/cookie';
import { startSession } from '../src/server/auth/session';
import { createContext } from '../src/server/context';
import { createCaller } from '../src/server/root';
import { handleUsageCsv } from '../src/server/usage/csv';

const CUSTOMERS = 50;

export async function usageEndpoints(deps: {
  db: Db;
  sql: Sql;
  influx: InfluxQuery;
  /** Newest day with data. */
  last: string;
  say: (line: string) => void;
}): Promise<{ name: string; call: () => Promise<unknown> }[]> {
  const { db, sql, influx, last, say } = deps;
  // Customer accounts for every 197th meter (a prime stride over the fleet), bound as the portal binds them.
  const customers = await sql<{ customerId: string; meterId: string }[]>`
    select m.customer_id as "customerId", m.id as "meterId" from meters m
    where m.status = 'active' and substr(m.id, 5)::int % 197 = 0 order by m.id limit ${CUSTOMERS}`;
  const [template] = await sql<{ passwordHash: string }[]>`
    select password_hash as "passwordHash" from users where email = 'customer@meterops.test'`;
  if (template === undefined) throw new Error('no demo customer in the bench database');
  const sessions: {
    customerId: string;
    meterId: string;
    cookie: string;
    caller: ReturnType<typeof createCaller>;
  }[] = [];
  for (const customer of customers) {
    const email = `bench-${customer.customerId.toLowerCase()}@customers.meterops.test`;
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, name, password_hash, role, customer_id)
      values (${email}, ${`Bench ${customer.customerId}`}, ${template.passwordHash}, 'customer', ${customer.customerId})
      on conflict (email) do update set customer_id = excluded.customer_id
      returning id`;
    if (user === undefined) throw new Error('bench customer was not created');
    const { token } = await startSession(db, user.id);
    const cookie = `${SESSION_COOKIE}=${token}`;
    const ctx = await createContext({
      db,
      sql,
      influx,
      headers: new Headers({ cookie, 'x-forwarded-for': 'bench' }),
      resHeaders: new Headers(),
    });
    sessions.push({ ...customer, cookie, caller: createCaller(ctx) });
  }
  let turn = 0;
  const next = () => sessions[turn++ % sessions.length] as (typeof sessions)[number];

  for (const view of ['week', 'month', 'year'] as const) {
    const started = performance.now();
    const rows = await dailyKwhByMeter(sql, usagePeriod(view, last));
    say(
      `usage.comparison snapshot (cold, ${view}): ${rows.length} meters in ${(performance.now() - started).toFixed(0)} ms, once per period and process every 5 min`,
    );
  }

  const report = (view: 'day' | 'week' | 'month' | 'year') => () => {
    const session = next();
    return session.caller.usage.report({ meterId: session.meterId, view, day: last });
  };
  const comparison = (view: 'day' | 'week' | 'month' | 'year') => () => {
    const session = next();
    return session.caller.usage.comparison({ meterId: session.meterId, view, day: last });
  };
  return [
    { name: 'usage.meters', call: () => next().caller.usage.meters() },
    { name: 'usage.report (day, intervals)', call: report('day') },
    { name: 'usage.report (week)', call: report('week') },
    { name: 'usage.report (month)', call: report('month') },
    { name: 'usage.report (year)', call: report('year') },
    { name: 'usage.comparison (day)', call: comparison('day') },
    { name: 'usage.comparison (week)', call: comparison('week') },
    { name: 'usage.comparison (month)', call: comparison('month') },
    { name: 'usage.comparison (year)', call: comparison('year') },
    {
      name: 'GET /usage/export (month CSV)',
      call: async () => {
        const session = next();
        const url = `http://bench/usage/export?${new URLSearchParams({ meter: session.meterId, view: 'month', day: last }).toString()}`;
        const response = await handleUsageCsv(new Request(url, { headers: { cookie: session.cookie } }), {
          db,
          sql,
        });
        if (response.status !== 200) throw new Error(`CSV answered ${response.status}`);
        return response.text();
      },
    },
  ];
}
