import { planFleet, type FleetMeter } from '@meterops/db/seed';
import { formatKwh, kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { sampleIntervalKwh } from '@meterops/domain/profiles';
import { createRandom, type Random } from '@meterops/domain/random';
import { createWeatherCache } from '@meterops/domain/weather';
import { addDays, intervalStartsOfLocalDay, localDayBounds, localTimeParts } from '@meterops/domain/time';

/** Everything the simulator can do wrong on purpose, each with the outcome the platform must produce. */
export const faultKinds = [
  'malformed',
  'schema',
  'unknown-meter',
  'inactive-meter',
  'misaligned',
  'future',
  'before-install',
  'negative',
  'above-max',
  'spike',
  'gap',
  'late',
  'duplicate',
  'resend',
  'clock-skew',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface SimulationOptions {
  meters: number;
  days: number;
  /** The last simulated local day (inclusive); defaults to yesterday in UTC. */
  endDay?: string;
  seed?: number;
  /** Fleet seed: must match the seed the database fleet was made with. */
  fleetSeed?: number;
  faults?: readonly FaultKind[];
  /** Share of meter-days that get one of the faults. */
  faultRate?: number;
  /** 'profile': one message per meter and day; 'interval': one message per reading. */
  mode?: 'profile' | 'interval';
  /**
   * Consumption follows each region's simulated hourly temperature (`@meterops/domain/weather`), so heating
   * and cooling rise and fall with cold snaps and warm spells; off, a fixed seasonal curve. Default on.
   */
  weather?: boolean;
  nowMs?: number;
}

export interface SimulatedMessage {
  key: string | null;
  value: string;
  readings: number;
}

/** An injected fault and what must come of it. */
interface InjectedFault {
  kind: FaultKind;
  meterId: string;
  day: string;
  /** The reading it concerns, when it concerns one. */
  intervalStart?: string;
  /** 'rejected:<rule>' (quarantined), 'flagged:<rule>' (stored for review), 'revised', 'duplicate', 'missing', 'stored'. */
  expect: string;
  /** How many readings the outcome concerns. */
  readings: number;
}

/** What the simulator sent and what the database must hold afterwards. */
export interface SimulationManifest {
  options: Required<Omit<SimulationOptions, 'endDay' | 'nowMs'>> & { endDay: string; startDay: string };
  sent: { messages: number; readings: number };
  expected: {
    /** Distinct (meter, interval) readings stored. */
    storedReadings: number;
    /** Sum of the stored readings' kWh, exact. */
    totalKwh: string;
    kwhByMeter: Record<string, string>;
    readingsByMeter: Record<string, number>;
    /** Rejections stored in rejected_readings by rule: one per rejected reading, or per message for whole-message rules. */
    rejectedByRule: Record<string, number>;
    /** Readings delivered again with the value already stored. */
    duplicateReadings: number;
    /** Readings delivered again with a new value: one revision each. */
    revisions: number;
  };
  faults: InjectedFault[];
}

const dayMs = 86_400_000;

export interface MeterDayProfile {
  meter: FleetMeter;
  day: string;
  starts: number[];
  kwh: string[];
}

/**
 * Plans a run: the messages in send order and the manifest of the correct outcome. Deterministic for a
 * seed. Meters of the fleet that are not active only ever appear in the inactive-meter fault.
 */
export function planSimulation(options: SimulationOptions): {
  messages: () => Generator<SimulatedMessage>;
  manifest: SimulationManifest;
} {
  const nowMs = options.nowMs ?? Date.now();
  const endDay = options.endDay ?? addDays(new Date(nowMs).toISOString().slice(0, 10), -1);
  const startDay = addDays(endDay, -(options.days - 1));
  const resolved = {
    meters: options.meters,
    days: options.days,
    seed: options.seed ?? 1,
    fleetSeed: options.fleetSeed ?? 42,
    faults: options.faults ?? [],
    faultRate: options.faultRate ?? (options.faults?.length ? 0.02 : 0),
    mode: options.mode ?? 'profile',
    weather: options.weather ?? true,
  };
  const temperatureAt = resolved.weather ? createWeatherCache() : null;
  const fleet = planFleet(resolved.meters, resolved.fleetSeed);
  const active = fleet.filter((meter) => meter.status === 'active');
  const inactive = fleet.filter((meter) => meter.status !== 'active');

  const manifest: SimulationManifest = {
    options: { ...resolved, endDay, startDay },
    sent: { messages: 0, readings: 0 },
    expected: {
      storedReadings: 0,
      totalKwh: '0.0000',
      kwhByMeter: {},
      readingsByMeter: {},
      rejectedByRule: {},
      duplicateReadings: 0,
      revisions: 0,
    },
    faults: [],
  };
  const stored = new Map<string, Map<number, number>>(); // meter → interval start → kWh units

  /**
   * Generates the run. The first pass (recording) fills the manifest; later passes replay the same
   * messages for sending and leave the manifest alone.
   */
  function* generate(recording: boolean): Generator<SimulatedMessage> {
    const reject = (rule: string, count = 1) => {
      if (recording)
        manifest.expected.rejectedByRule[rule] = (manifest.expected.rejectedByRule[rule] ?? 0) + count;
    };
    const record = (fault: InjectedFault) => {
      if (recording) manifest.faults.push(fault);
    };
    const count = (field: 'duplicateReadings' | 'revisions', amount: number) => {
      if (recording) manifest.expected[field] += amount;
    };
    const random = createRandom(resolved.seed);
    const late: SimulatedMessage[] = [];
    const send = (meterId: string | null, body: unknown, readings: number): SimulatedMessage => ({
      key: meterId,
      value: typeof body === 'string' ? body : JSON.stringify(body),
      readings,
    });
    const profileMessages = (profile: MeterDayProfile, indexes?: number[]): SimulatedMessage[] => {
      const items = (indexes ?? profile.starts.map((_, index) => index)).map((index) => ({
        intervalStart: new Date(profile.starts[index] as number).toISOString(),
        kwh: Number(profile.kwh[index]),
      }));
      if (resolved.mode === 'interval') {
        return items.map((item) =>
          send(profile.meter.id, { meterId: profile.meter.id, readings: [item] }, 1),
        );
      }
      return [
        send(
          profile.meter.id,
          { meterId: profile.meter.id, readings: items, source: 'simulator' },
          items.length,
        ),
      ];
    };
    const store = (profile: MeterDayProfile, indexes?: number[]) => {
      if (!recording) return;
      let byStart = stored.get(profile.meter.id);
      if (!byStart) stored.set(profile.meter.id, (byStart = new Map<number, number>()));
      for (const index of indexes ?? profile.starts.map((_, i) => i)) {
        byStart.set(profile.starts[index] as number, kwhToUnits(profile.kwh[index] as string));
      }
    };

    for (let dayIndex = 0; dayIndex < resolved.days; dayIndex++) {
      const day = addDays(startDay, dayIndex);
      for (const meter of active) {
        const profile = simulateMeterDay(meter, day, random, temperatureAt);
        const fault =
          resolved.faults.length > 0 && random.next() < resolved.faultRate
            ? (resolved.faults[Math.floor(random.next() * resolved.faults.length)] as FaultKind)
            : null;
        const messages = applyFault(fault, profile);
        for (const message of messages.now) yield message;
        late.push(...messages.later);
      }
    }
    // Late arrivals: days after the rest of their day's data, in the order they were held back.
    for (const message of late) yield message;

    function applyFault(
      fault: FaultKind | null,
      profile: MeterDayProfile,
    ): { now: SimulatedMessage[]; later: SimulatedMessage[] } {
      const { meter, day } = profile;
      const all = profile.starts.map((_, index) => index);
      const pick = () => Math.floor(random.next() * profile.starts.length);
      const note = (kind: FaultKind, expect: string, readings: number, index?: number) =>
        record({
          kind,
          meterId: meter.id,
          day,
          expect,
          readings,
          ...(index === undefined
            ? {}
            : { intervalStart: new Date(profile.starts[index] as number).toISOString() }),
        });
      switch (fault) {
        case null:
          store(profile);
          return { now: profileMessages(profile), later: [] };
        case 'malformed': {
          store(profile);
          reject('malformed_json');
          note('malformed', 'rejected:malformed_json', 0);
          return {
            now: [
              send(meter.id, `{"meterId":"${meter.id}","readings":[{"intervalStart":`, 0),
              ...profileMessages(profile),
            ],
            later: [],
          };
        }
        case 'schema': {
          store(profile);
          reject('schema');
          note('schema', 'rejected:schema', 0);
          return {
            now: [send(meter.id, { meterId: meter.id, readings: 'none' }, 0), ...profileMessages(profile)],
            later: [],
          };
        }
        case 'unknown-meter': {
          store(profile);
          const unknownId = `MTR-UNKNOWN-${meter.id.slice(4)}`;
          const readings = profile.starts.length;
          reject('unknown_meter', readings);
          note('unknown-meter', 'rejected:unknown_meter', readings);
          const items = all.map((index) => ({
            intervalStart: new Date(profile.starts[index] as number).toISOString(),
            kwh: Number(profile.kwh[index]),
          }));
          return {
            now: [
              send(unknownId, { meterId: unknownId, readings: items }, readings),
              ...profileMessages(profile),
            ],
            later: [],
          };
        }
        case 'inactive-meter': {
          store(profile);
          const target = inactive[Math.floor(random.next() * inactive.length)];
          if (!target) return { now: profileMessages(profile), later: [] };
          const start = localDayBounds(day, target.timeZone).startMs;
          reject('inactive_meter');
          record({
            kind: 'inactive-meter',
            meterId: target.id,
            day,
            intervalStart: new Date(start).toISOString(),
            expect: 'rejected:inactive_meter',
            readings: 1,
          });
          return {
            now: [
              send(
                target.id,
                {
                  meterId: target.id,
                  readings: [{ intervalStart: new Date(start).toISOString(), kwh: 0.1 }],
                },
                1,
              ),
              ...profileMessages(profile),
            ],
            later: [],
          };
        }
        case 'misaligned':
        case 'clock-skew': {
          // misaligned: one reading 7 minutes off; clock skew: the meter's clock is 2 minutes fast all day.
          const shifted = fault === 'misaligned' ? [pick()] : all;
          const offsetMs = fault === 'misaligned' ? 7 * 60_000 : 2 * 60_000;
          const keep = all.filter((index) => !shifted.includes(index));
          store(profile, keep);
          reject('misaligned_interval', shifted.length);
          const firstShifted = shifted[0] ?? 0;
          record({
            kind: fault,
            meterId: meter.id,
            day,
            // As sent: the rejected reading carries the shifted instant.
            intervalStart: new Date((profile.starts[firstShifted] as number) + offsetMs).toISOString(),
            expect: 'rejected:misaligned_interval',
            readings: shifted.length,
          });
          const items = all.map((index) => ({
            intervalStart: new Date(
              (profile.starts[index] as number) + (shifted.includes(index) ? offsetMs : 0),
            ).toISOString(),
            kwh: Number(profile.kwh[index]),
          }));
          return { now: [send(meter.id, { meterId: meter.id, readings: items }, items.length)], later: [] };
        }
        case 'future': {
          store(profile);
          const start =
            Math.floor((nowMs + 2 * dayMs) / (meter.intervalMinutes * 60_000)) *
            meter.intervalMinutes *
            60_000;
          reject('future_interval');
          record({
            kind: 'future',
            meterId: meter.id,
            day,
            intervalStart: new Date(start).toISOString(),
            expect: 'rejected:future_interval',
            readings: 1,
          });
          return {
            now: [
              send(
                meter.id,
                { meterId: meter.id, readings: [{ intervalStart: new Date(start).toISOString(), kwh: 0.2 }] },
                1,
              ),
              ...profileMessages(profile),
            ],
            later: [],
          };
        }
        case 'before-install': {
          store(profile);
          const start = meter.installedAt.getTime() - dayMs;
          reject('before_installation');
          record({
            kind: 'before-install',
            meterId: meter.id,
            day,
            intervalStart: new Date(start).toISOString(),
            expect: 'rejected:before_installation',
            readings: 1,
          });
          return {
            now: [
              send(
                meter.id,
                { meterId: meter.id, readings: [{ intervalStart: new Date(start).toISOString(), kwh: 0.2 }] },
                1,
              ),
              ...profileMessages(profile),
            ],
            later: [],
          };
        }
        case 'negative':
        case 'above-max': {
          const index = pick();
          const rule = fault === 'negative' ? 'negative_value' : 'above_physical_max';
          const bad =
            fault === 'negative' ? '-0.5000' : (formatKwh(meter.maxKwhPerInterval + 1) ?? '999.0000');
          store(
            profile,
            all.filter((i) => i !== index),
          );
          reject(rule);
          note(fault, `rejected:${rule}`, 1, index);
          const kwh = profile.kwh.map((value, i) => (i === index ? bad : value));
          return { now: profileMessages({ ...profile, kwh }), later: [] };
        }
        case 'spike': {
          // One interval far above the rest of the day (over 10 × the third-highest), yet physically possible.
          const index = pick();
          const others = profile.kwh
            .filter((_, i) => i !== index)
            .map(Number)
            .sort((a, b) => b - a);
          const spike = Math.max((others[1] ?? 0) * 12, 1);
          if (spike > meter.maxKwhPerInterval * 0.95) {
            store(profile);
            return { now: profileMessages(profile), later: [] };
          }
          const kwh = profile.kwh.map((value, i) =>
            i === index ? (formatKwh(Math.round(spike * 10_000) / 10_000) as string) : value,
          );
          const spiked = { ...profile, kwh };
          store(spiked);
          note('spike', 'flagged:spike', 1, index);
          return { now: profileMessages(spiked), later: [] };
        }
        case 'gap': {
          // The meter is offline for 3 to 6 hours: those intervals never arrive.
          const perHour = 60 / meter.intervalMinutes;
          const length = Math.min(profile.starts.length, (3 + Math.floor(random.next() * 4)) * perHour);
          const from = Math.floor(random.next() * (profile.starts.length - length + 1));
          const keep = all.filter((index) => index < from || index >= from + length);
          store(profile, keep);
          note('gap', 'missing', length, from);
          return { now: profileMessages(profile, keep), later: [] };
        }
        case 'late': {
          store(profile);
          note('late', 'stored', profile.starts.length);
          return { now: [], later: profileMessages(profile) };
        }
        case 'duplicate': {
          store(profile);
          count('duplicateReadings', profile.starts.length);
          note('duplicate', 'duplicate', profile.starts.length);
          const messages = profileMessages(profile);
          return { now: [...messages, ...messages], later: [] };
        }
        case 'resend': {
          // The head-end corrects one interval and resends the whole day.
          const index = pick();
          const corrected = formatKwh((kwhToUnits(profile.kwh[index] as string) + 1234) / 10_000) as string;
          const resent = {
            ...profile,
            kwh: profile.kwh.map((value, i) => (i === index ? corrected : value)),
          };
          store(resent);
          count('revisions', 1);
          count('duplicateReadings', profile.starts.length - 1);
          note('resend', 'revised', 1, index);
          return { now: [...profileMessages(profile), ...profileMessages(resent)], later: [] };
        }
      }
    }
  }

  let messages = 0;
  let readings = 0;
  for (const message of generate(true)) {
    messages++;
    readings += message.readings;
  }
  manifest.sent = { messages, readings };
  let total = 0;
  for (const [meterId, byStart] of stored) {
    if (byStart.size === 0) continue;
    let meterTotal = 0;
    for (const units of byStart.values()) meterTotal += units;
    manifest.expected.kwhByMeter[meterId] = unitsToKwh(meterTotal);
    manifest.expected.readingsByMeter[meterId] = byStart.size;
    manifest.expected.storedReadings += byStart.size;
    total += meterTotal;
  }
  manifest.expected.totalKwh = unitsToKwh(total);
  return { messages: () => generate(false), manifest };
}

/**
 * One meter's readings for one local day as the simulator sends them (before faults): the load profile of
 * its segment, scaled to the meter, following the region's temperature when `temperatureAt` is given.
 */
export function simulateMeterDay(
  meter: FleetMeter,
  day: string,
  random: Random,
  temperatureAt: ((region: string, epochMs: number) => number) | null,
): MeterDayProfile {
  const starts = intervalStartsOfLocalDay(day, meter.timeZone, meter.intervalMinutes);
  const dayStart = localDayBounds(day, meter.timeZone).startMs;
  const date = new Date(`${day}T12:00:00Z`);
  const isoWeekday = ((date.getUTCDay() + 6) % 7) + 1;
  const dayOfYear = Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / dayMs) + 1;
  const kwh = starts.map(
    (start) =>
      formatKwh(
        sampleIntervalKwh(
          {
            segment: meter.segment,
            localHour: (start - dayStart) / 3_600_000,
            isoWeekday,
            dayOfYear,
            intervalMinutes: meter.intervalMinutes,
            meterScale: meterScaleOf(meter.id),
            ...(temperatureAt ? { temperatureC: temperatureAt(meter.region, start) } : {}),
          },
          random,
        ),
      ) ?? '0.0000',
  );
  return { meter, day, starts, kwh };
}

/** Size of a meter relative to a typical one of its segment, fixed by its id: 0.6 … 1.39. */
function meterScaleOf(meterId: string): number {
  return 0.6 + (hashId(meterId) % 80) / 100;
}

function hashId(id: string): number {
  let hash = 0;
  for (let index = 0; index < id.length; index++) hash = (hash * 31 + id.charCodeAt(index)) >>> 0;
  return hash;
}

/**
 * Live traffic: one single-interval message per active meter for every interval that ended in
 * (fromMs, toMs], as head-ends send them through the day.
 */
export function* liveMessages(options: {
  meters: number;
  fleetSeed?: number;
  fromMs: number;
  toMs: number;
  /** As SimulationOptions.weather; default on. */
  weather?: boolean;
}): Generator<SimulatedMessage> {
  const temperatureAt = (options.weather ?? true) ? createWeatherCache() : null;
  const fleet = planFleet(options.meters, options.fleetSeed ?? 42).filter(
    (meter) => meter.status === 'active',
  );
  for (const meter of fleet) {
    const stepMs = meter.intervalMinutes * 60_000;
    // Interval ends on the meter's grid; zones used here are whole-hour offsets, so UTC alignment holds.
    let start = Math.floor((options.fromMs - stepMs) / stepMs) * stepMs + stepMs;
    for (; start + stepMs <= options.toMs; start += stepMs) {
      if (start + stepMs <= options.fromMs) continue;
      const parts = localTimeParts(start, meter.timeZone);
      const kwh = formatKwh(
        sampleIntervalKwh(
          {
            segment: meter.segment,
            localHour: parts.localHour,
            isoWeekday: parts.isoWeekday,
            dayOfYear: parts.dayOfYear,
            intervalMinutes: meter.intervalMinutes,
            meterScale: meterScaleOf(meter.id),
            ...(temperatureAt ? { temperatureC: temperatureAt(meter.region, start) } : {}),
          },
          // Seeded by meter and interval: sending an interval again sends the same value (a duplicate).
          createRandom(`${meter.id}@${start}`),
        ),
      );
      yield {
        key: meter.id,
        value: JSON.stringify({
          meterId: meter.id,
          readings: [{ intervalStart: new Date(start).toISOString(), kwh: Number(kwh) }],
          sentAt: new Date(options.toMs).toISOString(),
          source: 'simulator-live',
        }),
        readings: 1,
      };
    }
  }
}
