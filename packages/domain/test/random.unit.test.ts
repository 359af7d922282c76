import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/random';

describe('createRandom', () => {
  it('produces the mulberry32 sequence of its seed', () => {
    const random = createRandom(1);
    expect(random.next()).toBe(0.6270739405881613);
    expect(random.next()).toBe(0.002735721180215478);
  });

  it('repeats a sequence for the same seed, also for string seeds', () => {
    const draw = (seed: number | string) => {
      const random = createRandom(seed);
      return [random.next(), random.int(1, 6), random.normal()];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw('MTR-000042')).toEqual(draw('MTR-000042'));
    expect(draw('MTR-000042')).not.toEqual(draw('MTR-000043'));
  });

  it('draws integers within inclusive bounds, each of them', () => {
    const random = createRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) seen.add(random.int(1, 6));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => random.int(3, 2)).toThrow(RangeError);
    expect(() => random.int(0.5, 2)).toThrow(RangeError);
  });

  it('draws normal values with the requested mean and spread', () => {
    const random = createRandom(11);
    const values = Array.from({ length: 20_000 }, () => random.normal(5, 2));
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
    expect(mean).toBeCloseTo(5, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });
});
