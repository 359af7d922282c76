/**
 * npm run bench:estimation -- [--meters 500] [--end-day 2026-10-31] [--eval-days 7] [--seed 7]
 *
 * How good the estimates are. Simulates a fleet for 28 days of history plus the evaluated days with the
 * simulator (planSimulation, the same load profiles as the demo), stores everything except readings it
 * hides on purpose — short gaps of up to two hours, long gaps of 3–10 hours and whole days — then
 * finalizes the evaluated days, so the estimates come from the production path (loadGapInputs,
 * estimateGaps, the settings in vee_settings). Each estimate is compared with the reading it replaced.
 *
 * Prints, per method, the mean absolute percentage error over intervals (MAPE), the mean absolute
 * error in kWh, and the error of the estimated energy summed per gap (what billing sees).
 */
import { parseArgs } from 'node:util';
import { createDb } from '@meterops/db/client';
import { runMigrations } from '@meterops/db/migrate';
import { finalizeDay } from '@meterops/db/queries/batch';
import { seedFleet } from '@meterops/db/seed';
import { kwhToUnits } from '@meterops/domain/kwh';
import { createRandom } from '@meterops/domain/random';
import { addDays, localDay } from '@meterops/domain/time';
import postgres from 'postgres';
import { env } from '../src/env';
import { planSimulation } from '../src/simulator/plan';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '500' },
    'end-day': { type: 'string', default: '2026-10-31' },
    'eval-days': { type: 'string', default: '7' },
    seed: { type: 'string', default: '7' },
  },
});
const meterCount = Number(values.meters);
const endDay = values['end-day'];
const evalDays = Number(values['eval-days']);
const historyDays = 28;
const say = (line: string) => console.log(`[bench:estimation] ${line}`);

const databaseName = 'meterops_bench_estimation';
const serverUrl = new URL(env.DATABASE_URL);
const benchUrl = new URL(serverUrl.toString());
benchUrl.pathname = `/${databaseName}`;
const admin = postgres({ ...connection(serverUrl, 'postgres'), max: 1, onnotice: () => {} });
await admin.unsafe(`drop database if exists ${databaseName} with (force)`);
await admin.unsafe(`create database ${databaseName}`);
await admin.end();
await runMigrations(benchUrl.toString());
const { db, sql, close } = createDb({ url: benchUrl.toString(), max: 3, applicationName: 'meterops-bench' });

type GapKind = 'short' | 'long' | 'day';
interface Hidden {
  meterId: string;
  intervalStart: string;
  kwh: string;
  gap: number;
  kind: GapKind;
}

try {
  await seedFleet(db, { meters: meterCount });
  const firstEvalDay = addDays(endDay, -(evalDays - 1));
  const planned = planSimulation({ meters: meterCount, days: historyDays + evalDays, endDay });

  // Group each meter-day's readings, in interval order, to choose the gaps.
  const zoneOf = new Map<string, string>();
  const meterRows = await sql<
    { id: string; timeZone: string }[]
  >`select id, time_zone as "timeZone" from meters`;
  for (const row of meterRows) zoneOf.set(row.id, row.timeZone);
  const random = createRandom(Number(values.seed));
  const hidden: Hidden[] = [];
  const counts: Record<GapKind, number> = { short: 0, long: 0, day: 0 };
  let stored = 0;
  let gapId = 0;
  for (let day = addDays(firstEvalDay, -historyDays - 1); day <= addDays(endDay, 1); day = addDays(day, 1)) {
    await sql`select ensure_readings_partition(${`${day}T00:00:00Z`}::timestamptz)`;
  }
  const stream =
    await sql`copy readings (meter_id, interval_start, kwh, quality, source) from stdin`.writable();
  let buffer = '';
  const flush = async () => {
    if (!stream.write(buffer)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    buffer = '';
  };
  for (const message of planned.messages()) {
    const body = JSON.parse(message.value) as {
      meterId: string;
      readings: { intervalStart: string; kwh: number }[];
    };
    const zone = zoneOf.get(body.meterId) ?? 'UTC';
    const items = body.readings.toSorted((a, b) => a.intervalStart.localeCompare(b.intervalStart));
    const first = items[0];
    if (first === undefined) continue;
    const day = localDay(Date.parse(first.intervalStart), zone);
    const keep = new Array<boolean>(items.length).fill(true);
    if (day >= firstEvalDay) {
      const intervalMinutes = items.length > 60 ? 15 : 30;
      const roll = random.next();
      let kind: GapKind | null = null;
      let from = 0;
      let length = 0;
      if (roll < 0.4) {
        kind = 'short';
        length = 1 + Math.floor(random.next() * (120 / intervalMinutes));
        from = 1 + Math.floor(random.next() * (items.length - length - 2));
      } else if (roll < 0.8) {
        kind = 'long';
        length = Math.round(((3 + random.next() * 7) * 60) / intervalMinutes);
        from = Math.floor(random.next() * (items.length - length));
      } else if (roll < 0.9) {
        kind = 'day';
        length = items.length;
      }
      if (kind !== null) {
        counts[kind] += 1;
        gapId += 1;
        for (let index = from; index < from + length; index++) {
          keep[index] = false;
          const item = items[index];
          if (item === undefined) continue;
          hidden.push({
            meterId: body.meterId,
            intervalStart: new Date(item.intervalStart).toISOString(),
            kwh: String(item.kwh),
            gap: gapId,
            kind,
          });
        }
      }
    }
    items.forEach((item, index) => {
      if (!keep[index]) return;
      buffer += `${body.meterId}\t${item.intervalStart}\t${item.kwh}\tactual\tmeter\n`;
      stored += 1;
    });
    if (buffer.length > 1 << 20) await flush();
  }
  await flush();
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  say(
    `${meterCount} meters, ${historyDays} days of history + ${evalDays} evaluated days: stored ${stored} readings, hid ${hidden.length} ` +
      `(${counts.short} short gaps ≤ 2 h, ${counts.long} long gaps of 3–10 h, ${counts.day} whole days)`,
  );
  await sql`analyze readings`;

  for (let day = firstEvalDay; day <= endDay; day = addDays(day, 1)) {
    const result = await finalizeDay(sql, { day, actor: 'bench:estimation' });
    say(
      `finalized ${day}: ${result.estimated.linear} linear and ${result.estimated.likeDay} like-day estimates`,
    );
  }

  const estimates = await sql<{ meterId: string; intervalStart: Date; kwh: string; method: string }[]>`
    select meter_id as "meterId", interval_start as "intervalStart", kwh::text as kwh, estimation_method as method
    from readings where quality = 'estimated'`;
  const byKey = new Map(estimates.map((row) => [`${row.meterId}|${row.intervalStart.toISOString()}`, row]));

  interface Tally {
    intervals: number;
    apeSum: number;
    apeCount: number;
    absUnits: number;
    gaps: Map<number, { actual: number; estimate: number }>;
  }
  const tallies = new Map<string, Tally>();
  let unfilled = 0;
  for (const entry of hidden) {
    const estimate = byKey.get(`${entry.meterId}|${entry.intervalStart}`);
    if (estimate === undefined) {
      unfilled += 1;
      continue;
    }
    const label = `${estimate.method} (${entry.kind === 'short' ? 'gaps ≤ 2 h' : entry.kind === 'long' ? 'gaps of 3–10 h' : 'whole days'})`;
    let tally = tallies.get(label);
    if (tally === undefined)
      tallies.set(label, (tally = { intervals: 0, apeSum: 0, apeCount: 0, absUnits: 0, gaps: new Map() }));
    const actual = kwhToUnits(entry.kwh);
    const guess = kwhToUnits(estimate.kwh);
    tally.intervals += 1;
    tally.absUnits += Math.abs(guess - actual);
    if (actual > 0) {
      tally.apeSum += Math.abs(guess - actual) / actual;
      tally.apeCount += 1;
    }
    const gap = tally.gaps.get(entry.gap) ?? { actual: 0, estimate: 0 };
    gap.actual += actual;
    gap.estimate += guess;
    tally.gaps.set(entry.gap, gap);
  }
  if (unfilled > 0)
    say(`${unfilled} hidden intervals got no estimate (no measured neighbours and no like-day history)`);
  const rows = [...tallies].sort(([a], [b]) => a.localeCompare(b));
  for (const [label, tally] of rows) {
    const gapErrors = [...tally.gaps.values()].filter((gap) => gap.actual > 0);
    const gapMape =
      gapErrors.reduce((sum, gap) => sum + Math.abs(gap.estimate - gap.actual) / gap.actual, 0) /
      gapErrors.length;
    console.log(
      `estimation: ${label}: MAPE ${((100 * tally.apeSum) / tally.apeCount).toFixed(1)}% over ${tally.intervals} intervals, ` +
        `MAE ${(tally.absUnits / tally.intervals / 10_000).toFixed(4)} kWh per interval, ` +
        `error of the gap's energy ${(100 * gapMape).toFixed(1)}% over ${tally.gaps.size} gaps`,
    );
  }
  const overall = (method: string) => {
    const parts = rows.filter(([label]) => label.startsWith(method)).map(([, tally]) => tally);
    const apeSum = parts.reduce((sum, tally) => sum + tally.apeSum, 0);
    const apeCount = parts.reduce((sum, tally) => sum + tally.apeCount, 0);
    return apeCount === 0 ? 'n/a' : `${((100 * apeSum) / apeCount).toFixed(1)}%`;
  };
  console.log(
    `estimation MAPE: linear_interpolation ${overall('linear_interpolation')}, like_day ${overall('like_day')}`,
  );
} finally {
  await close();
}

function connection(url: URL, database: string) {
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database,
  };
}
