import type { TransactionSql } from 'postgres';
import type { Sql } from '../client';

/** A reading that passed the hard rules, ready to store. kwh is an exact decimal string. */
export interface StoreReading {
  meterId: string;
  intervalStart: Date;
  kwh: string;
  /** Soft-rule flags awaiting review; empty when clean. */
  flags: readonly string[];
}

/** A reading or a whole message that failed a hard rule, with its Kafka position. */
export interface StoreRejection {
  topic: string;
  partition: number;
  kafkaOffset: string;
  /** -1 when the whole message was rejected. */
  itemIndex: number;
  messageKey: string | null;
  meterId: string | null;
  intervalStart: Date | null;
  rule: string;
  detail: string;
  /** Readable text (no NUL: Postgres text cannot hold it). */
  payload: string;
  /** The message value byte for byte, when the text above is not the whole truth. */
  payloadBytes: Buffer | null;
  kafkaTimestamp: Date | null;
}

/** A rejection this batch stored for the first time, to be copied to the dead-letter topic. */
export interface StoredRejection extends StoreRejection {
  id: number;
}

/**
 * The fleet's expected interval counts, for aggregate rows this batch creates. The speed layer cannot
 * see silent meters in the readings, so the worker passes what the whole fleet should send.
 */
export interface FleetExpectations {
  /** Per (local day, dimension, key): the intervals every active meter of that key should send that day. */
  dimensionDays: { day: string; dimension: 'region' | 'segment' | 'tariff'; key: string; expected: number }[];
  /** Per region: the intervals its active meters should send in one half-hour settlement period. */
  regionHalfHours: { region: string; expected: number }[];
}

/** Where a batch sits in Kafka: the transaction moves the stored next offset from `expected` to `next`. */
export interface IngestPosition {
  consumerGroup: string;
  topic: string;
  partition: number;
  /** The stored next offset read before the batch was processed; null when none was stored yet. */
  expectedNextOffset: bigint | null;
  nextOffset: bigint;
}

/** Another consumer applied this partition in the meantime (a rebalance overlap): the batch must be redone. */
export class StaleIngestPositionError extends Error {
  override name = 'StaleIngestPositionError';
}

export interface IngestWriteResult {
  /** First value for a (meter, interval). */
  inserted: number;
  /** A changed value, or an actual replacing an estimate: a new version with a revision row. */
  revised: number;
  /** Same value again, or a meter value arriving for a reading an agent has edited: nothing changed. */
  duplicates: number;
  /** Rejections newly stored (a redelivered rejection is already there and not stored twice). */
  rejected: number;
  /** The newly stored rejections with their ids, for the dead-letter outbox. */
  storedRejections: StoredRejection[];
  /** (meter, day) keys of final days that this batch changed, queued for reprocessing. */
  reprocessKeys: number;
  /**
   * The readings this batch inserted or changed (new versions), as stored, for the validated-readings
   * topic; empty unless `collectValidated` was asked for. Unchanged duplicates are not in it.
   */
  validated: ValidatedReading[];
}

/** A reading as stored after ingest accepted it: what the validated-readings topic carries. */
export interface ValidatedReading {
  meterId: string;
  intervalStart: Date;
  kwh: string;
  quality: 'actual' | 'estimated' | 'edited';
  version: number;
  flags: readonly string[];
}

const halfHourOrigin = '2000-01-01T00:00:00Z';

/**
 * Writes one Kafka batch in one transaction: rejections, readings (insert, new version or no-op),
 * revisions, and the provisional aggregates, counting only rows really inserted or changed so a
 * redelivered batch never counts twice. Callers commit Kafka offsets only after this resolves.
 *
 * The same (meter, interval) may appear twice in `readings` (a resend inside one batch); such
 * repeats are written in later rounds, in order, so the last one wins and each change is revised.
 */
export async function writeIngestBatch(
  sql: Sql,
  params: {
    readings: readonly StoreReading[];
    rejections: readonly StoreRejection[];
    fleet: FleetExpectations;
    actor: string;
    position: IngestPosition;
    /** The replay whose window this batch re-reads: its counts grow in this transaction. */
    replay?: { id: number; records: number };
    /** Return the inserted and changed readings (`validated`); costs nothing for plain inserts. */
    collectValidated?: boolean;
  },
): Promise<IngestWriteResult> {
  const rounds = splitIntoRounds(params.readings);
  return sql.begin(async (tx) => {
    const result: IngestWriteResult = {
      inserted: 0,
      revised: 0,
      duplicates: 0,
      rejected: 0,
      storedRejections: [],
      reprocessKeys: 0,
      validated: [],
    };
    await advancePosition(tx, params.position);
    // Sorts and hashes of a batch (tens of thousands of rows) stay in memory.
    await tx`set local work_mem = '64MB'`;
    if (params.rejections.length > 0) {
      result.storedRejections = await storeRejections(tx, params.rejections);
      result.rejected = result.storedRejections.length;
    }
    if (rounds.length > 0) await storeReadings(tx, rounds, params, result);
    if (params.replay) await countReplay(tx, params.replay.id, params.replay.records, result);
    return result;
  });
}

async function storeReadings(
  tx: Tx,
  rounds: StoreReading[][],
  params: { fleet: FleetExpectations; actor: string; collectValidated?: boolean },
  result: IngestWriteResult,
): Promise<void> {
  await tx`
    create temp table if not exists ingest_changes (
      meter_id text not null,
      interval_start timestamptz not null,
      d_kwh numeric not null,
      d_actual int not null,
      d_estimated int not null
    ) on commit delete rows`;
  for (const round of rounds) {
    const counts = await upsertReadings(
      tx,
      round,
      params.actor,
      params.collectValidated === true ? result.validated : null,
    );
    result.inserted += counts.inserted;
    result.revised += counts.revised;
    result.duplicates += round.length - counts.inserted - counts.revised;
  }
  if (result.inserted + result.revised > 0) {
    result.reprocessKeys = await foldIntoAggregates(tx, params.fleet);
  }
}

async function countReplay(tx: Tx, id: number, records: number, result: IngestWriteResult): Promise<void> {
  await tx`
    update ingest_replays set
      records = records + ${records},
      inserted = inserted + ${result.inserted},
      revised = revised + ${result.revised},
      duplicates = duplicates + ${result.duplicates},
      rejected = rejected + ${result.rejected}
    where id = ${id}`;
}

/**
 * The stored state of the given (meter, interval) keys, for readings ingest wrote earlier whose
 * validated copy may not have gone out (a redelivered batch). Keys with no reading are left out.
 */
export async function storedReadings(
  sql: Sql,
  keys: readonly { meterId: string; intervalStart: Date }[],
): Promise<ValidatedReading[]> {
  if (keys.length === 0) return [];
  const rows = await sql<(Omit<ValidatedReading, 'intervalStart'> & { intervalStart: Date })[]>`
    select r.meter_id as "meterId", r.interval_start as "intervalStart", r.kwh::text as kwh, r.quality, r.version, r.flags
    from unnest(${keys.map((key) => key.meterId)}::text[], ${keys.map((key) => key.intervalStart.toISOString())}::timestamptz[])
      as k(meter_id, interval_start)
    cross join lateral (
      select * from readings r where r.meter_id = k.meter_id and r.interval_start = k.interval_start limit 1
    ) r`;
  return rows;
}

/** The next offset to apply for a partition, or null when this group never wrote one. */
export async function readIngestPosition(
  sql: Sql,
  params: { consumerGroup: string; topic: string; partition: number },
): Promise<bigint | null> {
  const [row] = await sql<{ nextOffset: string }[]>`
    select next_offset::text as "nextOffset" from ingest_offsets
    where consumer_group = ${params.consumerGroup} and topic = ${params.topic} and partition = ${params.partition}`;
  return row ? BigInt(row.nextOffset) : null;
}

async function advancePosition(tx: Tx, position: IngestPosition): Promise<void> {
  const key = { group: position.consumerGroup, topic: position.topic, partition: position.partition };
  const next = position.nextOffset.toString();
  const rows =
    position.expectedNextOffset === null
      ? await tx`
          insert into ingest_offsets (consumer_group, topic, partition, next_offset)
          values (${key.group}, ${key.topic}, ${key.partition}, ${next})
          on conflict do nothing
          returning 1`
      : await tx`
          update ingest_offsets set next_offset = ${next}, updated_at = now()
          where consumer_group = ${key.group} and topic = ${key.topic} and partition = ${key.partition}
            and next_offset = ${position.expectedNextOffset.toString()}
          returning 1`;
  if (rows.length !== 1) {
    throw new StaleIngestPositionError(
      `partition ${key.topic}/${key.partition} of ${key.group} was advanced by another consumer; the batch is redone`,
    );
  }
}

function splitIntoRounds(readings: readonly StoreReading[]): StoreReading[][] {
  const rounds: StoreReading[][] = [];
  const seen = new Map<string, number>();
  for (const reading of readings) {
    const key = `${reading.meterId}\u0000${reading.intervalStart.getTime()}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(reading);
  }
  return rounds;
}

type Tx = TransactionSql;

async function storeRejections(tx: Tx, rejections: readonly StoreRejection[]): Promise<StoredRejection[]> {
  // postgres.js infers an array parameter's type from its elements, and sends Date[] as one timestamp,
  // so instants travel as ISO text and bytes as hex, and are cast in SQL.
  const column = <K extends keyof StoreRejection>(key: K) =>
    rejections.map((rejection) => {
      const value = rejection[key];
      if (value instanceof Date) return value.toISOString();
      if (Buffer.isBuffer(value)) return value.toString('hex');
      return value;
    });
  const rows = await tx<
    { id: string; topic: string; partition: number; kafkaOffset: string; itemIndex: number }[]
  >`
    insert into rejected_readings
      (topic, partition, kafka_offset, item_index, message_key, meter_id, interval_start, rule, detail,
       payload, payload_bytes, kafka_timestamp)
    select topic, partition, kafka_offset, item_index, message_key, meter_id, interval_start, rule, detail,
           payload, decode(payload_hex, 'hex'), kafka_timestamp
    from unnest(
      ${column('topic')}::text[], ${column('partition')}::int[], ${column('kafkaOffset')}::bigint[],
      ${column('itemIndex')}::int[], ${column('messageKey')}::text[], ${column('meterId')}::text[],
      ${column('intervalStart')}::timestamptz[], ${column('rule')}::text[], ${column('detail')}::text[],
      ${column('payload')}::text[], ${column('payloadBytes')}::text[], ${column('kafkaTimestamp')}::timestamptz[]
    ) with ordinality as r(topic, partition, kafka_offset, item_index, message_key, meter_id, interval_start,
                           rule, detail, payload, payload_hex, kafka_timestamp, ordinal)
    order by ordinal
    on conflict (topic, partition, kafka_offset, item_index) do nothing
    returning id::text, topic, partition, kafka_offset::text as "kafkaOffset", item_index as "itemIndex"`;
  const byPosition = new Map(
    rejections.map((rejection) => [
      `${rejection.topic}\u0000${rejection.partition}\u0000${rejection.kafkaOffset}\u0000${rejection.itemIndex}`,
      rejection,
    ]),
  );
  return rows.flatMap((row) => {
    const rejection = byPosition.get(
      `${row.topic}\u0000${row.partition}\u0000${row.kafkaOffset}\u0000${row.itemIndex}`,
    );
    return rejection ? [{ ...rejection, id: Number(row.id) }] : [];
  });
}

/** Rejections whose dead-letter copy Kafka has acknowledged. */
export async function markDeadLettered(sql: Sql, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update rejected_readings set dead_lettered_at = now()
    where id = any(${ids.map(String)}::bigint[]) and dead_lettered_at is null`;
}

/**
 * Rejections still owed to the dead-letter topic (a crash or a broker outage came between storing and
 * sending), oldest first. `minAgeMs` leaves the ones a batch in flight is about to send alone.
 */
export async function pendingDeadLetters(
  sql: Sql,
  params: { minAgeMs: number; limit: number },
): Promise<StoredRejection[]> {
  const rows = await sql<
    {
      id: string;
      topic: string;
      partition: number;
      kafkaOffset: string;
      itemIndex: number;
      messageKey: string | null;
      meterId: string | null;
      intervalStart: Date | null;
      rule: string;
      detail: string;
      payload: string;
      payloadBytes: Buffer | null;
      kafkaTimestamp: Date | null;
    }[]
  >`
    select id::text, topic, partition, kafka_offset::text as "kafkaOffset", item_index as "itemIndex",
           message_key as "messageKey", meter_id as "meterId", interval_start as "intervalStart", rule, detail,
           payload, payload_bytes as "payloadBytes", kafka_timestamp as "kafkaTimestamp"
    from rejected_readings
    where dead_lettered_at is null and received_at < now() - make_interval(secs => ${params.minAgeMs / 1000})
    order by id
    limit ${params.limit}`;
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

/**
 * Inserts the round's readings. The common case, a reading never seen before, takes one INSERT … ON
 * CONFLICT DO NOTHING; only the keys that already exist (redeliveries, resends, actuals replacing
 * estimates) go through the slower compare-and-revise path.
 */
async function upsertReadings(
  tx: Tx,
  round: readonly StoreReading[],
  actor: string,
  validated: ValidatedReading[] | null,
): Promise<{ inserted: number; revised: number }> {
  const existing = await tx<{ meterId: string; intervalStart: Date; kwh: string; flagsCsv: string }[]>`
    with incoming as (
      select * from unnest(
        ${round.map((reading) => reading.meterId)}::text[],
        ${round.map((reading) => reading.intervalStart.toISOString())}::timestamptz[],
        ${round.map((reading) => reading.kwh)}::numeric[],
        ${round.map((reading) => reading.flags.join(','))}::text[]
      ) as i(meter_id, interval_start, kwh, flags_csv)
    ),
    inserted as (
      insert into readings (meter_id, interval_start, kwh, quality, flags, source, version, received_at)
      select meter_id, interval_start, kwh, 'actual',
             case when flags_csv = '' then '{}'::text[] else string_to_array(flags_csv, ',') end,
             'meter', 1, now()
      from incoming
      order by meter_id, interval_start
      on conflict (meter_id, interval_start) do nothing
      returning meter_id, interval_start, kwh
    ),
    staged as (
      insert into ingest_changes (meter_id, interval_start, d_kwh, d_actual, d_estimated)
      select meter_id, interval_start, kwh, 1, 0 from inserted
    )
    select i.meter_id as "meterId", i.interval_start as "intervalStart", i.kwh::text as kwh, i.flags_csv as "flagsCsv"
    from incoming i
    where not exists (select 1 from inserted n where n.meter_id = i.meter_id and n.interval_start = i.interval_start)`;
  const inserted = round.length - existing.length;
  if (validated !== null) {
    // What the plain insert wrote is what came in, at version 1; the rest is known after revising.
    const kept = new Set(existing.map((row) => `${row.meterId}\u0000${row.intervalStart.getTime()}`));
    for (const reading of round) {
      if (kept.size > 0 && kept.has(`${reading.meterId}\u0000${reading.intervalStart.getTime()}`)) continue;
      validated.push({ ...reading, quality: 'actual', version: 1 });
    }
  }
  if (existing.length === 0) return { inserted, revised: 0 };
  const revised = await reviseReadings(
    tx,
    existing.map((row) => ({
      meterId: row.meterId,
      intervalStart: row.intervalStart,
      kwh: row.kwh,
      flags: row.flagsCsv === '' ? [] : row.flagsCsv.split(','),
    })),
    actor,
    validated,
  );
  return { inserted: inserted + revised.inserted, revised: revised.revised };
}

async function reviseReadings(
  tx: Tx,
  round: readonly StoreReading[],
  actor: string,
  validated: ValidatedReading[] | null,
): Promise<{ inserted: number; revised: number }> {
  const meterIds = round.map((reading) => reading.meterId);
  const starts = round.map((reading) => reading.intervalStart.toISOString());
  const kwhs = round.map((reading) => reading.kwh);
  const flags = round.map((reading) => reading.flags.join(','));
  const [row] = await tx<
    {
      inserted: number;
      revised: number;
      written:
        { meterId: string; intervalStart: string; kwh: string; version: number; flags: string[] }[] | null;
    }[]
  >`
    with incoming as (
      select * from unnest(${meterIds}::text[], ${starts}::timestamptz[], ${kwhs}::numeric[], ${flags}::text[])
        as i(meter_id, interval_start, kwh, flags_csv)
    ),
    -- The values before this statement, from its snapshot. No FOR UPDATE: a row the upsert below
    -- changes in this same command would be skipped by it. Kafka's keying gives each meter one writer.
    -- One index lookup per key (LATERAL … LIMIT 1): a plain join lets the planner scan whole partitions.
    previous as (
      select r.* from incoming i
      cross join lateral (
        select r.meter_id, r.interval_start, r.kwh, r.quality, r.version from readings r
        where r.meter_id = i.meter_id and r.interval_start = i.interval_start
        limit 1
      ) r
    ),
    written as (
      insert into readings as r (meter_id, interval_start, kwh, quality, flags, source, version, received_at)
      select meter_id, interval_start, kwh, 'actual',
             case when flags_csv = '' then '{}'::text[] else string_to_array(flags_csv, ',') end,
             'meter', 1, now()
      from incoming
      order by meter_id, interval_start
      on conflict (meter_id, interval_start) do update
        set kwh = excluded.kwh, quality = 'actual', estimation_method = null, flags = excluded.flags,
            source = 'meter', version = r.version + 1, revised_at = now(), received_at = now()
        -- An agent's edit is deliberate: a meter value arriving later does not undo it.
        where r.quality <> 'edited' and (r.kwh <> excluded.kwh or r.quality = 'estimated')
      returning r.meter_id, r.interval_start, r.kwh, r.version, r.flags
    ),
    revisions as (
      insert into reading_revisions
        (meter_id, interval_start, old_kwh, new_kwh, old_quality, new_quality, old_version, new_version, source, reason, actor)
      select w.meter_id, w.interval_start, p.kwh, w.kwh, p.quality, 'actual', p.version, w.version, 'meter_resend',
             case when p.quality = 'estimated' then 'actual reading replaced an estimate'
                  else 'meter resent the interval with a different value' end,
             ${actor}
      from written w join previous p using (meter_id, interval_start)
      returning 1
    ),
    staged as (
      insert into ingest_changes (meter_id, interval_start, d_kwh, d_actual, d_estimated)
      select w.meter_id, w.interval_start, w.kwh - coalesce(p.kwh, 0),
             case when p.quality is distinct from 'actual' then 1 else 0 end,
             case when p.quality = 'estimated' then -1 else 0 end
      from written w left join previous p using (meter_id, interval_start)
      returning d_actual
    )
    select (select count(*) from written)::int - (select count(*) from revisions)::int as inserted,
           (select count(*) from revisions)::int as revised,
           (select count(*) from staged)::int as staged,
           ${
             validated === null
               ? tx`null::json`
               : tx`(select json_agg(json_build_object('meterId', meter_id, 'intervalStart', interval_start,
                                                      'kwh', kwh::numeric(14,4)::text, 'version', version, 'flags', flags))
                     from written)`
           } as written`;
  for (const reading of row?.written ?? []) {
    validated?.push({ ...reading, intervalStart: new Date(reading.intervalStart), quality: 'actual' });
  }
  return { inserted: row?.inserted ?? 0, revised: row?.revised ?? 0 };
}

/**
 * Folds the staged changes into hourly and daily per-meter rows, hourly and daily per-dimension rows and
 * half-hourly settlement rows. Final rows are not touched: their (meter, day) goes to the reprocess
 * queue instead, so the batch layer recomputes exactly those keys.
 */
async function foldIntoAggregates(tx: Tx, fleet: FleetExpectations): Promise<number> {
  await tx`
    with d as (
      select meter_id, date_bin('1 hour', interval_start, ${halfHourOrigin}::timestamptz) as hour_start,
             sum(d_kwh) as kwh, sum(d_actual)::int as actual, sum(d_estimated)::int as estimated
      from ingest_changes group by 1, 2
    ),
    hourly as (
      insert into meter_usage_hourly as h
        (meter_id, hour_start, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
      select d.meter_id, d.hour_start, d.kwh, 60 / m.interval_minutes, d.actual, d.estimated, 'provisional', now()
      from d join meters m on m.id = d.meter_id
      order by 1, 2
      on conflict (meter_id, hour_start) do update
        set kwh = h.kwh + excluded.kwh,
            actual_intervals = h.actual_intervals + excluded.actual_intervals,
            estimated_intervals = h.estimated_intervals + excluded.estimated_intervals,
            computed_at = now()
        where h.status = 'provisional'
      returning h.meter_id, h.hour_start
    ),
    dims as (
      select d.hour_start, dim.dimension, dim.key, sum(d.kwh) as kwh, sum(d.actual)::int as actual,
             sum(d.estimated)::int as estimated
      from d
      join hourly using (meter_id, hour_start)
      join meters m on m.id = d.meter_id
      cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id))
        as dim(dimension, key)
      group by 1, 2, 3
    ),
    -- What every active meter of a key sends in an hour, for the rows this batch creates. The fleet is
    -- scanned only when some row is new (once per hour and key while live), not on every batch.
    expected as (
      select k.dimension, k.key, sum(60 / m.interval_minutes)::int as expected
      from meters m
      cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id))
        as k(dimension, key)
      where m.status = 'active'
        and exists (
          select 1 from dims
          where not exists (
            select 1 from dimension_usage_hourly x
            where x.hour_start = dims.hour_start and x.dimension = dims.dimension and x.key = dims.key))
      group by 1, 2
    )
    insert into dimension_usage_hourly as u
      (hour_start, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
    select dims.hour_start, dims.dimension, dims.key, dims.kwh, coalesce(expected.expected, 0), dims.actual,
           dims.estimated, 'provisional', now()
    from dims left join expected using (dimension, key)
    order by 1, 2, 3
    on conflict (hour_start, dimension, key) do update
      set kwh = u.kwh + excluded.kwh,
          actual_intervals = u.actual_intervals + excluded.actual_intervals,
          estimated_intervals = u.estimated_intervals + excluded.estimated_intervals,
          computed_at = now()
      where u.status = 'provisional'`;

  const dimensionDays = fleet.dimensionDays;
  const [queued] = await tx<{ queued: number }[]>`
    with d as (
      select c.meter_id, (c.interval_start at time zone m.time_zone)::date as day,
             sum(c.d_kwh) as kwh, sum(c.d_actual)::int as actual, sum(c.d_estimated)::int as estimated,
             min(m.time_zone) as time_zone, min(m.interval_minutes) as interval_minutes
      from ingest_changes c join meters m on m.id = c.meter_id
      group by 1, 2
    ),
    -- A reading that became actual in this batch (d_actual) arrived now: it counts towards the day's
    -- arrivals by the end of D+1 and D+5 while those deadlines are ahead. A row whose counts are null
    -- (written before the speed layer kept them) stays null until the batch layer counts it.
    daily as (
      insert into meter_usage_daily as u
        (meter_id, day, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at,
         actual_by_d1_intervals, actual_by_d5_intervals)
      select meter_id, day, kwh,
             (extract(epoch from ((day + 1)::timestamp at time zone time_zone) - (day::timestamp at time zone time_zone))
               / 60 / interval_minutes)::int,
             actual, estimated, 'provisional', now(),
             case when now() < ((day + 2)::timestamp at time zone time_zone) then actual else 0 end,
             case when now() < ((day + 6)::timestamp at time zone time_zone) then actual else 0 end
      from d
      order by 1, 2
      on conflict (meter_id, day) do update
        set kwh = u.kwh + excluded.kwh,
            actual_intervals = u.actual_intervals + excluded.actual_intervals,
            estimated_intervals = u.estimated_intervals + excluded.estimated_intervals,
            actual_by_d1_intervals = u.actual_by_d1_intervals + excluded.actual_by_d1_intervals,
            actual_by_d5_intervals = u.actual_by_d5_intervals + excluded.actual_by_d5_intervals,
            computed_at = now()
        where u.status = 'provisional'
      returning u.meter_id, u.day
    ),
    queued as (
      insert into reprocess_queue (meter_id, day, reason)
      select d.meter_id, d.day, 'late or resent meter data for a final day'
      from d where not exists (select 1 from daily where daily.meter_id = d.meter_id and daily.day = d.day)
      on conflict (meter_id, day) do nothing
      returning 1
    ),
    dims as (
      select d.day, dim.dimension, dim.key, sum(d.kwh) as kwh, sum(d.actual)::int as actual,
             sum(d.estimated)::int as estimated
      from d
      join daily using (meter_id, day)
      join meters m on m.id = d.meter_id
      cross join lateral (values ('region'::usage_dimension, m.region), ('segment', m.segment::text), ('tariff', m.tariff_id))
        as dim(dimension, key)
      group by 1, 2, 3
    ),
    expected as (
      select * from unnest(
        ${dimensionDays.map((row) => row.day)}::date[],
        ${dimensionDays.map((row) => row.dimension)}::usage_dimension[],
        ${dimensionDays.map((row) => row.key)}::text[],
        ${dimensionDays.map((row) => row.expected)}::int[]
      ) as e(day, dimension, key, expected)
    ),
    dimension_rows as (
      insert into dimension_usage_daily as u
        (day, dimension, key, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
      select dims.day, dims.dimension, dims.key, dims.kwh, coalesce(expected.expected, 0), dims.actual, dims.estimated,
             'provisional', now()
      from dims left join expected using (day, dimension, key)
      order by 1, 2, 3
      on conflict (day, dimension, key) do update
        set kwh = u.kwh + excluded.kwh,
            actual_intervals = u.actual_intervals + excluded.actual_intervals,
            estimated_intervals = u.estimated_intervals + excluded.estimated_intervals,
            computed_at = now()
        where u.status = 'provisional'
      returning 1
    )
    select (select count(*) from queued)::int as queued, (select count(*) from dimension_rows)::int as dimension_rows`;

  const regionHalfHours = fleet.regionHalfHours;
  await tx`
    with d as (
      select m.region, date_bin('30 minutes', c.interval_start, ${halfHourOrigin}::timestamptz) as period_start,
             sum(c.d_kwh) as kwh, sum(c.d_actual)::int as actual, sum(c.d_estimated)::int as estimated
      from ingest_changes c join meters m on m.id = c.meter_id
      group by 1, 2
    ),
    expected as (
      select * from unnest(${regionHalfHours.map((row) => row.region)}::text[], ${regionHalfHours.map((row) => row.expected)}::int[])
        as e(region, expected)
    )
    insert into settlement_period_usage as s
      (region, period_start, kwh, expected_intervals, actual_intervals, estimated_intervals, status, computed_at)
    select d.region, d.period_start, d.kwh, coalesce(expected.expected, 0), d.actual, d.estimated, 'provisional', now()
    from d left join expected using (region)
    order by 1, 2
    on conflict (region, period_start) do update
      set kwh = s.kwh + excluded.kwh,
          actual_intervals = s.actual_intervals + excluded.actual_intervals,
          estimated_intervals = s.estimated_intervals + excluded.estimated_intervals,
          computed_at = now()
      where s.status = 'provisional'`;
  return queued?.queued ?? 0;
}

/** Makes sure a monthly partition exists for every month of the given interval starts. */
export async function ensureReadingPartitions(sql: Sql, monthStarts: readonly Date[]): Promise<void> {
  if (monthStarts.length === 0) return;
  await sql`select ensure_readings_partition(m) from unnest(${monthStarts.map((month) => month.toISOString())}::timestamptz[]) as m`;
}
