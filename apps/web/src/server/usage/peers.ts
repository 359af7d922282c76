import 'server-only';
import type { Sql } from '@meterops/db/client';
import { dailyKwhByMeter } from '@meterops/db/queries/usage';

/**
 * The comparison with similar homes needs every meter's kWh per day over the period, which for a year
 * is a scan of every daily row of the fleet: far too slow per request. It is the same for every customer,
 * so each web process keeps it per period: fresh for 5 minutes, then served while a refresh runs in the
 * background, and recomputed before answering once it is an hour old. The answer says when it was computed.
 */
const FRESH_MS = 5 * 60_000;
const MAX_AGE_MS = 60 * 60_000;
const MAX_PERIODS = 48;

export interface PeerSnapshot {
  computedAt: Date;
  byMeter: Map<string, { group: string; dailyKwh: number }>;
  /** Sorted kWh per day of each `region|segment`. */
  groups: Map<string, Float64Array>;
}

interface Entry {
  snapshot: PeerSnapshot | null;
  refreshing: Promise<PeerSnapshot> | null;
}

const entries = new Map<string, Entry>();

async function compute(sql: Sql, from: string, to: string): Promise<PeerSnapshot> {
  const computedAt = new Date();
  const rows = await dailyKwhByMeter(sql, { from, to });
  const byMeter = new Map<string, { group: string; dailyKwh: number }>();
  const values = new Map<string, number[]>();
  for (const row of rows) {
    const group = `${row.region}|${row.segment}`;
    byMeter.set(row.meterId, { group, dailyKwh: row.dailyKwh });
    let list = values.get(group);
    if (list === undefined) values.set(group, (list = []));
    list.push(row.dailyKwh);
  }
  const groups = new Map([...values].map(([group, list]) => [group, Float64Array.from(list).sort()]));
  return { computedAt, byMeter, groups };
}

function refresh(sql: Sql, key: string, entry: Entry, from: string, to: string): Promise<PeerSnapshot> {
  entry.refreshing ??= compute(sql, from, to)
    .then((snapshot) => {
      entry.snapshot = snapshot;
      return snapshot;
    })
    .finally(() => {
      entry.refreshing = null;
    });
  // The oldest periods make room; a Map iterates in insertion order.
  if (!entries.has(key)) {
    entries.set(key, entry);
    while (entries.size > MAX_PERIODS) entries.delete(entries.keys().next().value as string);
  }
  return entry.refreshing;
}

export async function peerSnapshot(sql: Sql, params: { from: string; to: string }): Promise<PeerSnapshot> {
  const key = `${params.from}|${params.to}`;
  const entry = entries.get(key) ?? { snapshot: null, refreshing: null };
  const age =
    entry.snapshot === null ? Number.POSITIVE_INFINITY : Date.now() - entry.snapshot.computedAt.getTime();
  if (entry.snapshot !== null && age < MAX_AGE_MS) {
    if (age >= FRESH_MS) void refresh(sql, key, entry, params.from, params.to).catch(() => undefined);
    return entry.snapshot;
  }
  return refresh(sql, key, entry, params.from, params.to);
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
