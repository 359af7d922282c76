import { describe, expect, it } from 'vitest';
import { weatherFactor } from '../src/profiles';
import { climateNormalC, hourlyTemperatureC, hourlyTemperatures } from '../src/weather';

describe('hourlyTemperatureC', () => {
  it('is the same for the same region and hour, wherever in the hour it is asked', () => {
    const hour = Date.parse('2026-01-15T08:00:00Z');
    expect(hourlyTemperatureC('london', hour)).toBe(hourlyTemperatureC('london', hour + 59 * 60_000));
    expect(hourlyTemperatureC('london', hour)).toBe(hourlyTemperatureC('london', hour));
    expect(hourlyTemperatureC('london', hour)).not.toBe(hourlyTemperatureC('scotland', hour));
  });

  it('is colder in January than in July, and colder at dawn than mid-afternoon on average', () => {
    const mean = (from: string, hours: number[]) => {
      const start = Date.parse(`${from}T00:00:00Z`);
      let sum = 0;
      for (let day = 0; day < 28; day++)
        for (const h of hours) sum += hourlyTemperatureC('midlands', start + (day * 24 + h) * 3_600_000);
      return sum / (28 * hours.length);
    };
    expect(mean('2026-01-05', [5, 15]) + 8).toBeLessThan(mean('2026-07-06', [5, 15]));
    expect(mean('2026-04-06', [5]) + 4).toBeLessThan(mean('2026-04-06', [15]));
  });

  it('wanders from the climate normal by spells of several days, not hour to hour', () => {
    const hours = hourlyTemperatures(
      'london',
      Date.parse('2026-01-01T00:00:00Z'),
      Date.parse('2026-03-01T00:00:00Z'),
    );
    const anomalies = hours.map((hour) => hour.temperatureC - climateNormalC('london', hour.hourStartMs));
    const largest = Math.max(...anomalies.map(Math.abs));
    const largestStep = Math.max(
      ...anomalies.slice(1).map((value, index) => Math.abs(value - (anomalies[index] as number))),
    );
    expect(largest).toBeGreaterThan(4);
    expect(largestStep).toBeLessThan(1);
  });
});

describe('weatherFactor', () => {
  it('heats homes below 15 °C and cools offices above 22 °C, flat in between', () => {
    expect(weatherFactor('residential', 100, 5) / weatherFactor('residential', 100, 15)).toBeCloseTo(
      1 + 0.4 / 0.79,
      9,
    );
    expect(weatherFactor('residential', 100, 18)).toBe(weatherFactor('residential', 100, 21));
    expect(weatherFactor('commercial', 200, 30) / weatherFactor('commercial', 200, 22)).toBeCloseTo(
      1 + 0.36 / 0.88,
      9,
    );
  });
});
