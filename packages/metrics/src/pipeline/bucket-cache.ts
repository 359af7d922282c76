/**
 * Incremental reads of time-bucketed metrics. A bucket that closed more than `settleMs` ago never changes
 * again (the metrics writer flushes every second and gives up on a batch after a few retries), so it is
 * kept and only the buckets after the first one not kept are asked of InfluxDB: a refresh of a 7-day
 * chart scans the last bucket, not 7 days. The same idea as a query frontend's results cache.
 *
 * Buckets are aligned to the epoch, as InfluxQL's `GROUP BY time()` aligns them, and a range starts at
 * the bucket that contains its start, so every bucket shown is whole.
 */

export interface BucketRead<T> {
  /** Identifies the query (measurement, fields, bucket size): buckets of different queries never mix. */
  key: string;
  bucketMs: number;
  /** Epoch ms; the first bucket is the one containing it. */
  from: number;
  /** Epoch ms, inclusive end of the range (now). */
  to: number;
  /** Asks InfluxDB for [from, to] grouped into buckets; a bucket without data may be missing. */
  fetch: (from: number, to: number) => Promise<Map<number, T>>;
  /** The value of a bucket without data. */
  empty: () => T;
}

export const alignDown = (time: number, bucketMs: number) => Math.floor(time / bucketMs) * bucketMs;

export class BucketCache {
  private readonly entries = new Map<string, unknown>();

  constructor(
    /** How long after a bucket closes its data is taken as complete. */
    private readonly settleMs = 2 * 60_000,
    /** Most buckets kept; the least recently used go first. */
    private readonly maxEntries = 100_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * Every bucket of the range, oldest first, from the cache where settled and from InfluxDB otherwise.
   * `settled` says whether the bucket can no longer change.
   */
  async read<T>(
    request: BucketRead<T>,
    now = Date.now(),
  ): Promise<{ start: number; value: T; settled: boolean }[]> {
    const { key, bucketMs } = request;
    const starts: number[] = [];
    for (let start = alignDown(request.from, bucketMs); start <= request.to; start += bucketMs)
      starts.push(start);
    const settled = (start: number) => start + bucketMs <= now - this.settleMs;
    const id = (start: number) => `${key}\u0000${bucketMs}\u0000${start}`;

    const values = new Map<number, T>();
    let firstMissing: number | null = null;
    for (const start of starts) {
      const cached = settled(start) ? this.touch<T>(id(start)) : undefined;
      if (cached === undefined) {
        firstMissing = start;
        break;
      }
      values.set(start, cached);
    }
    if (firstMissing !== null) {
      const fetched = await request.fetch(firstMissing, request.to);
      for (const start of starts) {
        if (start < firstMissing) continue;
        const value = fetched.get(start) ?? request.empty();
        values.set(start, value);
        if (settled(start)) this.store(id(start), value);
      }
    }
    return starts.map((start) => ({
      start,
      value: values.get(start) ?? request.empty(),
      settled: settled(start),
    }));
  }

  private touch<T>(id: string): T | undefined {
    if (!this.entries.has(id)) return undefined;
    const value = this.entries.get(id) as T;
    this.entries.delete(id);
    this.entries.set(id, value);
    return value;
  }

  private store(id: string, value: unknown): void {
    this.entries.delete(id);
    this.entries.set(id, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}

/**
 * InfluxDB's PERCENTILE: the nearest-rank value of the sorted values, index
 * `floor(n × p / 100 + 0.5) − 1`, and null when that falls outside the values. Reproduced here so that
 * percentiles over cached raw values equal what InfluxQL would answer.
 */
export function nearestRank(sorted: readonly number[], percentile: number): number | null {
  const index = Math.floor((sorted.length * percentile) / 100 + 0.5) - 1;
  if (index < 0 || index >= sorted.length) return null;
  return sorted[index] ?? null;
}

/** The k-th smallest (from 0) of the union of two ascending arrays, by bisecting how many come from `a`. */
export function kthOfTwo(a: readonly number[], b: readonly number[], k: number): number | null {
  if (k < 0 || k >= a.length + b.length) return null;
  let low = Math.max(0, k + 1 - b.length);
  let high = Math.min(k + 1, a.length);
  while (low < high) {
    const fromA = (low + high) >> 1;
    const fromB = k + 1 - fromA;
    if (fromB > 0 && (b[fromB - 1] as number) > (a[fromA] as number)) low = fromA + 1;
    else high = fromA;
  }
  const fromB = k + 1 - low;
  return Math.max(
    low > 0 ? (a[low - 1] as number) : -Infinity,
    fromB > 0 ? (b[fromB - 1] as number) : -Infinity,
  );
}

/** InfluxDB's PERCENTILE over the union of two ascending arrays, without merging them. */
export function nearestRankOfTwo(
  a: readonly number[],
  b: readonly number[],
  percentile: number,
): number | null {
  const index = Math.floor(((a.length + b.length) * percentile) / 100 + 0.5) - 1;
  return kthOfTwo(a, b, index);
}
