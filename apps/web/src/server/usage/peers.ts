import 'server-only';
import type { Sql } from '@meterops/db/client';
import { dailyKwhByMeter } from '@meterops/db/queries/usage';

/**
 * The comparison with similar homes needs every meter of the home's region and segment with its kWh per day
 * over the period: a scan of their daily rows, too slow per request and the same for every customer of the
 * group. So each web process keeps it per period and group: fresh for 5 minutes, then served while a
 * refresh runs in the background, and recomputed before answering once it is an hour old. The answer says
 * when it was computed.
 *
 * The work a customer can cause is bounded: the router asks only for periods in which their meter has
 * data, each scan covers one group, and at most `MAX_CONCURRENT_SCANS` run at once in a process, the rest
 * waiting their turn.
 */
const FRESH_MS = 5 * 60_000;
const MAX_AGE_MS = 60 * 60_000;
const MAX_ENTRIES = 256;
const MAX_CONCURRENT_SCANS = 2;

export interface PeerGroup {
  region: string;
  segment: 'residential' | 'commercial';
}

export interface PeerSnapshot {
  computedAt: Date;
  /** kWh per day of each meter of the group. */
  byMeter: Map<string, number>;
  /** The same values, sorted. */
  sorted: Float64Array;
}

interface Entry {
  snapshot: PeerSnapshot | null;
  refreshing: Promise<PeerSnapshot> | null;
}

const entries = new Map<string, Entry>();

let scansRunning = 0;
const waitingScans: (() => void)[] = [];

async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (scansRunning >= MAX_CONCURRENT_SCANS) await new Promise<void>((resolve) => waitingScans.push(resolve));
  else scansRunning += 1;
  try {
    return await work();
  } finally {
    const next = waitingScans.shift();
    if (next === undefined) scansRunning -= 1;
    else next();
  }
}

async function compute(sql: Sql, from: string, to: string, group: PeerGroup): Promise<PeerSnapshot> {
  const computedAt = new Date();
  const rows = await limited(() => dailyKwhByMeter(sql, { from, to, group }));
  const byMeter = new Map(rows.map((row) => [row.meterId, row.dailyKwh]));
  return { computedAt, byMeter, sorted: Float64Array.from(byMeter.values()).sort() };
}

function refresh(sql: Sql, key: string, entry: Entry, from: string, to: string, group: PeerGroup) {
  entry.refreshing ??= compute(sql, from, to, group)
    .then((snapshot) => {
      entry.snapshot = snapshot;
      return snapshot;
    })
    .finally(() => {
      entry.refreshing = null;
    });
  // The oldest entries make room; a Map iterates in insertion order.
  if (!entries.has(key)) {
    entries.set(key, entry);
    while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
  }
  return entry.refreshing;
}

export async function peerSnapshot(
  sql: Sql,
  params: { from: string; to: string; group: PeerGroup },
): Promise<PeerSnapshot> {
  const { from, to, group } = params;
  const key = `${from}|${to}|${group.region}|${group.segment}`;
  const entry = entries.get(key) ?? { snapshot: null, refreshing: null };
  const age =
    entry.snapshot === null ? Number.POSITIVE_INFINITY : Date.now() - entry.snapshot.computedAt.getTime();
  if (entry.snapshot !== null && age < MAX_AGE_MS) {
    if (age >= FRESH_MS) void refresh(sql, key, entry, from, to, group).catch(() => undefined);
    return entry.snapshot;
  }
  return refresh(sql, key, entry, from, to, group);
}

/** The group's sorted values without one occurrence of `own`: the other homes a home is compared with. */
export function othersThan(sorted: Float64Array, own: number): Float64Array {
  const at = sorted.indexOf(own);
  if (at === -1) return sorted;
  const others = new Float64Array(sorted.length - 1);
  others.set(sorted.subarray(0, at), 0);
  others.set(sorted.subarray(at + 1), at);
  return others;
}

/** Linear interpolation between closest ranks, like Postgres' percentile_cont. */
export function quantile(sorted: Float64Array, fraction: number): number | null {
  if (sorted.length === 0) return null;
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower] ?? 0;
  const high = sorted[upper] ?? low;
  return low + (high - low) * (position - lower);
}

/** Share of `sorted` below `value`, ties counted as half, 0–100. */
export function percentileRank(sorted: Float64Array, value: number): number | null {
  if (sorted.length === 0) return null;
  const bound = (strict: boolean) => {
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const at = sorted[middle] ?? 0;
      if (strict ? at < value : at <= value) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const below = bound(true);
  const equal = bound(false) - below;
  return ((below + equal / 2) / sorted.length) * 100;
}
