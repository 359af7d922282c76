import { describe, expect, it } from 'vitest';
import { BucketCache, kthOfTwo, nearestRank, nearestRankOfTwo } from '../src/pipeline/bucket-cache';

const minute = 60_000;

describe('BucketCache', () => {
  it('asks only for the buckets after the last settled one it holds', async () => {
    const cache = new BucketCache(2 * minute);
    const asked: [number, number][] = [];
    const read = (now: number) =>
      cache.read(
        {
          key: 'sum',
          bucketMs: minute,
          from: now - 10 * minute,
          to: now,
          fetch: (from, to) => {
            asked.push([from, to]);
            const values = new Map<number, number>();
            for (let start = from; start <= to; start += minute) values.set(start, start / minute);
            return Promise.resolve(values);
          },
          empty: () => 0,
        },
        now,
      );

    const now = 1_000 * minute + 30_000;
    const first = await read(now);
    // Starts at the bucket containing now − 10 min, ends with the bucket containing now: 11 buckets.
    expect(first.map((bucket) => bucket.start / minute)).toEqual([
      990, 991, 992, 993, 994, 995, 996, 997, 998, 999, 1000,
    ]);
    expect(asked).toEqual([[990 * minute, now]]);

    // A minute later, buckets up to 997 are settled and kept; 998 onwards are asked again.
    const later = await read(now + minute);
    expect(asked[1]).toEqual([998 * minute, now + minute]);
    expect(later.map((bucket) => bucket.value)).toEqual([
      991, 992, 993, 994, 995, 996, 997, 998, 999, 1000, 1001,
    ]);
  });

  it('keeps empty settled buckets so that a quiet range is not asked for again', async () => {
    const cache = new BucketCache(0);
    let calls = 0;
    const request = {
      key: 'quiet',
      bucketMs: minute,
      from: 0,
      to: 5 * minute - 1,
      fetch: () => {
        calls += 1;
        return Promise.resolve(new Map<number, number>());
      },
      empty: () => 0,
    };
    await cache.read(request, 10 * minute);
    await cache.read(request, 10 * minute);
    expect(calls).toBe(1);
  });

  it('forgets the least recently used buckets beyond its size', async () => {
    const cache = new BucketCache(0, 3);
    await cache.read(
      {
        key: 'k',
        bucketMs: minute,
        from: 0,
        to: 5 * minute - 1,
        fetch: () => Promise.resolve(new Map()),
        empty: () => 0,
      },
      60 * minute,
    );
    expect(cache.size).toBe(3);
  });
});

describe('nearestRank, as InfluxDB computes PERCENTILE', () => {
  it('takes the value at floor(n × p / 100 + 0.5) − 1 of the sorted values', () => {
    expect(nearestRank([10, 20, 30], 50)).toBe(20);
    expect(nearestRank([10, 20, 30], 95)).toBe(30);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBe(10);
    expect(nearestRank([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).toBe(5);
  });

  it('is null where InfluxDB answers null', () => {
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([7], 10)).toBeNull();
    expect(nearestRank([7], 50)).toBe(7);
  });
});

describe('percentiles over two sorted arrays', () => {
  it('picks the same value as sorting the union', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 50)).sort(
        (x, y) => x - y,
      );
      const b = Array.from({ length: Math.floor(random() * 10) }, () => Math.floor(random() * 50)).sort(
        (x, y) => x - y,
      );
      const union = [...a, ...b].sort((x, y) => x - y);
      for (const percentile of [1, 50, 95, 99, 100]) {
        expect(nearestRankOfTwo(a, b, percentile)).toBe(nearestRank(union, percentile));
      }
      for (let k = 0; k < union.length; k++) expect(kthOfTwo(a, b, k)).toBe(union[k]);
    }
  });
});
