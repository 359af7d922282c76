import { setVeeSetting } from '@meterops/db/queries/vee';
import { addDays, intervalStartsOfLocalDay, localDay } from '@meterops/domain/time';
import { defaultVeeParams } from '@meterops/domain/vee';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer } from '../src/kafka';
import { faultKinds, type FaultKind } from '../src/simulator/plan';
import {
  aggregateMismatches,
  createTestDatabase,
  createTestTopics,
  kafka,
  simulate,
  startIngest,
  storedSummary,
  waitForCaughtUp,
  type TestDatabase,
} from './harness';

const fleetSize = 24;
const endDay = '2026-11-10';

/** Runs one simulation through a fresh database and topic, and returns what was stored. */
async function ingestScenario(faults: FaultKind[], faultRate = 0.25) {
  const database = await createTestDatabase(fleetSize);
  const topics = await createTestTopics();
  const manifest = await simulate(topics, { meters: fleetSize, days: 2, endDay, faults, faultRate, seed: 7 });
  const ingest = await startIngest(database, topics);
  try {
    await waitForCaughtUp(topics);
    return { database, topics, manifest, totals: ingest.totals(), stored: await storedSummary(database.sql) };
  } finally {
    await ingest.stop();
  }
}

describe('ingest of a clean day', () => {
  let scenario: Awaited<ReturnType<typeof ingestScenario>>;
  beforeAll(async () => {
    scenario = await ingestScenario([]);
  });
  afterAll(() => scenario?.database.drop());

  it('stores exactly the simulated readings', () => {
    const { manifest, stored } = scenario;
    expect(manifest.faults).toEqual([]);
    expect(stored.readings).toBe(manifest.expected.storedReadings);
    expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
    expect(stored.kwhByMeter).toEqual(manifest.expected.kwhByMeter);
    expect(stored.rejectedByRule).toEqual({});
    expect(stored.revisions).toBe(0);
  });

  it('keeps every provisional aggregate equal to the sum of its readings', async () => {
    expect(await aggregateMismatches(scenario.database.sql)).toEqual([]);
    const [status] = await scenario.database.sql<{ statuses: string[] }[]>`
      select array_agg(distinct status::text) as statuses from meter_usage_daily`;
    expect(status?.statuses).toEqual(['provisional']);
  });

  it('counts expected intervals from the meter and the fleet, not from what arrived', async () => {
    const { sql } = scenario.database;
    const daily = await sql<{ meterId: string; expected: number; intervalMinutes: number }[]>`
      select d.meter_id as "meterId", d.expected_intervals as expected, m.interval_minutes as "intervalMinutes"
      from meter_usage_daily d join meters m on m.id = d.meter_id`;
    for (const row of daily) expect(row.expected).toBe((24 * 60) / row.intervalMinutes);
    const [region] = await sql<{ expected: number; fleet: number }[]>`
      select sum(d.expected_intervals)::int as expected,
             (select 2 * sum(1440 / interval_minutes)::int from meters where status = 'active') as fleet
      from dimension_usage_daily d where d.dimension = 'region'`;
    expect(region?.expected).toBe(region?.fleet);
  });

  it('counts every reading as accepted and none as duplicate', () => {
    expect(scenario.totals.inserted).toBe(scenario.manifest.expected.storedReadings);
    expect(scenario.totals.duplicates).toBe(0);
  });
});

describe.each(faultKinds)('fault %s', (fault) => {
  let scenario: Awaited<ReturnType<typeof ingestScenario>>;
  beforeAll(async () => {
    scenario = await ingestScenario([fault]);
  });
  afterAll(() => scenario?.database.drop());

  it('stores exactly the readings the manifest says are correct', () => {
    const { manifest, stored } = scenario;
    expect(manifest.faults.length).toBeGreaterThan(0);
    expect(stored.readings).toBe(manifest.expected.storedReadings);
    expect(stored.totalKwh).toBe(manifest.expected.totalKwh);
    expect(stored.kwhByMeter).toEqual(manifest.expected.kwhByMeter);
    expect(stored.readingsByMeter).toEqual(manifest.expected.readingsByMeter);
  });

  it('quarantines exactly the expected rejections by rule, and revises only real changes', () => {
    const { manifest, stored, totals } = scenario;
    expect(stored.rejectedByRule).toEqual(manifest.expected.rejectedByRule);
    expect(stored.revisions).toBe(manifest.expected.revisions);
    expect(totals.duplicates).toBe(manifest.expected.duplicateReadings);
  });

  it('keeps aggregates equal to the sums of readings', async () => {
    expect(await aggregateMismatches(scenario.database.sql)).toEqual([]);
  });

  it('leaves the fault-specific evidence', async () => {
    const { manifest, database } = scenario;
    const { sql } = database;
    for (const injected of manifest.faults) {
      if (injected.expect.startsWith('rejected:') && injected.intervalStart) {
        const rows = await sql<{ rule: string; detail: string; topic: string }[]>`
          select rule, detail, topic from rejected_readings
          where meter_id = ${injected.meterId} and interval_start = ${injected.intervalStart}`;
        expect(rows.map((row) => row.rule)).toContain(injected.expect.slice('rejected:'.length));
        expect(rows[0]?.topic).toBe(scenario.topics.topic);
        expect(String(rows[0]?.detail).length).toBeGreaterThan(10);
      }
      if (injected.expect === 'flagged:spike') {
        const [reading] = await sql<{ flags: string[] }[]>`
          select flags from readings where meter_id = ${injected.meterId} and interval_start = ${injected.intervalStart ?? ''}`;
        expect(reading?.flags).toContain('spike');
      }
      if (injected.expect === 'revised') {
        const [revision] = await sql<
          { source: string; newVersion: number; oldKwh: string; newKwh: string }[]
        >`
          select source, new_version as "newVersion", old_kwh as "oldKwh", new_kwh as "newKwh" from reading_revisions
          where meter_id = ${injected.meterId} and interval_start = ${injected.intervalStart ?? ''}`;
        expect(revision?.source).toBe('meter_resend');
        expect(revision?.newVersion).toBe(2);
        expect(Number(revision?.newKwh) - Number(revision?.oldKwh)).toBeCloseTo(0.1234, 4);
      }
      if (injected.expect === 'missing') {
        const [gap] = await sql<{ count: number }[]>`
          select count(*)::int as count from readings
          where meter_id = ${injected.meterId} and interval_start >= ${injected.intervalStart ?? ''}
            and interval_start < ${injected.intervalStart ?? ''}::timestamptz + make_interval(mins => ${injected.readings} * (
              select interval_minutes from meters where id = ${injected.meterId}))`;
        expect(gap?.count).toBe(0);
      }
    }
  });
});

describe('dead-letter topic', () => {
  let scenario: Awaited<ReturnType<typeof ingestScenario>>;
  beforeAll(async () => {
    scenario = await ingestScenario(['malformed', 'negative', 'unknown-meter']);
  });
  afterAll(() => scenario?.database.drop());

  it('receives one message per stored rejection, carrying the rule and the source position', async () => {
    const expected = Object.values(scenario.manifest.expected.rejectedByRule).reduce(
      (sum, count) => sum + count,
      0,
    );
    const consumer = kafka.consumer({ groupId: `${scenario.topics.groupId}-dlq-reader` });
    const received: { rule: string; offset: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: scenario.topics.dlqTopic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          received.push({
            rule: message.headers?.rule?.toString() ?? '',
            offset: message.headers?.['source-offset']?.toString() ?? '',
          });
          if (received.length >= expected) resolve();
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(received).toHaveLength(expected);
    const byRule: Record<string, number> = {};
    for (const entry of received) byRule[entry.rule] = (byRule[entry.rule] ?? 0) + 1;
    expect(byRule).toEqual(scenario.manifest.expected.rejectedByRule);
    expect(received.every((entry) => /^\d+$/.test(entry.offset))).toBe(true);
  });
});

describe('readings judged against the meter history', () => {
  let database: TestDatabase;
  let flagsOf: (meterId: string, intervalStart: string) => Promise<string[] | undefined>;
  let meterId = '';
  beforeAll(async () => {
    database = await createTestDatabase(12);
    const topics = await createTestTopics();
    // Eight days of ordinary use: enough 15-minute intervals (768 ≥ 672) for a baseline.
    await simulate(topics, { meters: 12, days: 8, endDay: '2026-11-20', seed: 21 });
    const history = await startIngest(database, topics);
    await waitForCaughtUp(topics);
    await history.stop();
    const [meter] = await database.sql<{ id: string }[]>`
      select id from meters where interval_minutes = 15 and status = 'active' order by id limit 1`;
    meterId = meter?.id ?? '';

    const [baseline] = await database.sql<{ p95: number; intervalMinutes: number; max: number }[]>`
      select percentile_cont(0.95) within group (order by (h.kwh / h.actual_intervals)::float8) as p95,
             min(m.interval_minutes)::int as "intervalMinutes", min(m.max_kwh_per_interval)::float8 as max
      from meter_usage_hourly h join meters m on m.id = h.meter_id where h.meter_id = ${meterId}`;
    expect(baseline?.intervalMinutes).toBe(15);
    const high =
      Math.round(Math.min((baseline?.max ?? 0) * 0.9, Math.max(3.5 * (baseline?.p95 ?? 0), 1.5)) * 10_000) /
      10_000;
    const lowDay = Array.from({ length: 48 }, (_, index) => ({
      intervalStart: new Date(Date.parse('2026-11-21T06:00:00Z') + index * 900_000).toISOString(),
      kwh: 0.0001,
    }));
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.topic,
      messages: [
        {
          key: meterId,
          value: JSON.stringify({
            meterId,
            readings: [{ intervalStart: '2026-11-22T18:00:00Z', kwh: high }],
          }),
        },
        { key: meterId, value: JSON.stringify({ meterId, readings: lowDay }) },
      ],
    });
    await producer.disconnect();
    // A worker started after the history exists, as in production.
    const live = await startIngest(database, topics);
    await waitForCaughtUp(topics);
    await live.stop();
    flagsOf = async (meter, start) => {
      const [row] = await database.sql<{ flags: string[] }[]>`
        select flags from readings where meter_id = ${meter} and interval_start = ${start}`;
      return row?.flags;
    };
  });
  afterAll(() => database?.drop());

  it('stores a reading far above the meter history, flagged high_vs_history for review', async () => {
    expect(await flagsOf(meterId, '2026-11-22T18:00:00Z')).toEqual(['high_vs_history']);
  });

  it('stores half a day far below the meter history, every reading flagged low_vs_history', async () => {
    expect(await flagsOf(meterId, '2026-11-21T06:00:00Z')).toEqual(['low_vs_history']);
    expect(await flagsOf(meterId, '2026-11-21T17:45:00Z')).toEqual(['low_vs_history']);
  });
});

describe('rule parameters from vee_settings', () => {
  let database: TestDatabase;
  afterAll(() => database?.drop());

  it('ingest applies an administrator’s override, as the batch layer does', async () => {
    database = await createTestDatabase(8);
    const { sql } = database;
    const meters = await sql<{ id: string; timeZone: string }[]>`
      select id, time_zone as "timeZone" from meters
      where status = 'active' and interval_minutes = 15 order by id limit 2`;
    const [steep, gentle] = meters;
    if (!steep || !gentle) throw new Error('the seeded fleet has fewer than two active 15-minute meters');
    // The default spike ratio is 10: a day whose highest interval is 6 (steep) or 4.5 (gentle) times the
    // third-highest passes. With the ratio set to 5 the steep day is a spike and the gentle one is not.
    expect(defaultVeeParams.spikeRatio).toBe(10);
    await setVeeSetting(sql, { name: 'spikeRatio', value: 5, actor: 'admin:it' });

    const day = addDays(localDay(Date.now(), steep.timeZone), -2);
    const profile = (meter: { id: string; timeZone: string }, base: number, peak: number) => {
      const starts = intervalStartsOfLocalDay(day, meter.timeZone, 15);
      return {
        key: meter.id,
        value: JSON.stringify({
          meterId: meter.id,
          readings: starts.map((start, index) => ({
            intervalStart: new Date(start).toISOString(),
            kwh: index === 50 ? peak : base,
          })),
        }),
        peakStart: new Date(starts[50] ?? 0),
      };
    };
    const messages = [profile(steep, 0.1, 0.6), profile(gentle, 0.2, 0.9)];
    const topics = await createTestTopics();
    const producer = await createProducer(kafka);
    await producer.send(
      topics.topic,
      messages.map(({ key, value }) => ({ key, value })),
    );
    await producer.stop();
    const ingest = await startIngest(database, topics);
    try {
      await waitForCaughtUp(topics);
    } finally {
      await ingest.stop();
    }

    const flagged = await sql<{ meterId: string; intervalStart: Date; flags: string[] }[]>`
      select meter_id as "meterId", interval_start as "intervalStart", flags from readings
      where flags <> '{}' order by meter_id, interval_start`;
    expect(flagged).toEqual([{ meterId: steep.id, intervalStart: messages[0]?.peakStart, flags: ['spike'] }]);
  });
});
