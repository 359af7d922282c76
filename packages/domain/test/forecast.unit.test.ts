import { describe, expect, it } from 'vitest';
import {
  fitForecastModel,
  forecastDays,
  forecastHalfHours,
  halfHourSlot,
  meanAbsolutePercentageError,
  predictKwh,
  type ForecastObservation,
} from '../src/forecast';
import { addDays } from '../src/time';
import { heatingBaseC } from '../src/weather';

const HALF_HOUR_MS = 1_800_000;
/** A Monday in winter time, so UTC and London wall clock agree. */
const monday = Date.parse('2026-11-02T00:00:00Z');
/** A profile by day type (working day, Saturday, Sunday) and half hour, as `halfHourSlot` numbers them. */
const profile = (slot: number) => 0.2 + 0.1 * Math.sin(slot / 7) + (slot >= 48 ? 0.15 : 0);

describe('forecastHalfHours', () => {
  it('forecasts a pure weekly profile exactly', () => {
    const history = Array.from({ length: 3 * 7 * 48 }, (_, index) => {
      const startMs = monday + index * HALF_HOUR_MS;
      return { startMs, kwh: profile(halfHourSlot(startMs, 'Europe/London')) };
    });
    const targets = Array.from(
      { length: 7 * 48 },
      (_, index) => monday + (3 * 7 * 48 + index) * HALF_HOUR_MS,
    );
    // Cold or warm, the history never responded to it, so the forecast does not either.
    const forecast = forecastHalfHours({
      history,
      targets,
      timeZone: 'Europe/London',
      temperatureAt: (ms) => (ms % 7) - 3,
    });
    forecast.forEach((kwh, index) =>
      expect(kwh).toBeCloseTo(profile(halfHourSlot(targets[index] as number, 'Europe/London')), 12),
    );
  });

  it('recovers a linear response to heating degrees and forecasts a colder week by it', () => {
    const temperatureAt = (ms: number) => 12 - 8 * Math.sin(ms / 86_400_000) + Math.cos(ms / 7_200_000);
    const heating = (ms: number) => Math.max(0, heatingBaseC - temperatureAt(ms));
    const truth = (ms: number) => profile(halfHourSlot(ms, 'Europe/London')) * (1 + 0.04 * heating(ms));
    const history = Array.from({ length: 4 * 7 * 48 }, (_, index) => {
      const startMs = monday + index * HALF_HOUR_MS;
      return { startMs, kwh: truth(startMs) };
    });
    const targets = Array.from({ length: 48 }, (_, index) => monday + (4 * 7 * 48 + index) * HALF_HOUR_MS);
    const forecast = forecastHalfHours({ history, targets, timeZone: 'Europe/London', temperatureAt });
    forecast.forEach((kwh, index) => expect(kwh).toBeCloseTo(truth(targets[index] as number), 9));
  });
});

describe('fitForecastModel', () => {
  it('finds the heating and cooling coefficients and the slot levels of an exact series', () => {
    const observations: ForecastObservation[] = [];
    for (let index = 0; index < 400; index++) {
      const slot = index % 4;
      const t = 25 * Math.sin(index * 0.37) + 8;
      const heating = Math.max(0, 15 - t);
      const cooling = Math.max(0, t - 22);
      observations.push({ slot, heating, cooling, kwh: (slot + 1) * (1 + 0.05 * heating + 0.02 * cooling) });
    }
    const model = fitForecastModel(observations, { slotsPerDay: 4, recentCount: 28 });
    expect(model.heating).toBeCloseTo(0.05, 9);
    expect(model.cooling).toBeCloseTo(0.02, 9);
    expect(model.recentLevel).toBeCloseTo(1, 12);
    expect([...model.slotLevels.entries()].sort((a, b) => a[0] - b[0]).map(([, level]) => level)).toEqual([
      expect.closeTo(1, 9),
      expect.closeTo(2, 9),
      expect.closeTo(3, 9),
      expect.closeTo(4, 9),
    ]);
    expect(predictKwh(model, { slot: 2, heating: 10, cooling: 0 })).toBeCloseTo(4.5, 9);
  });

  it('carries the recent level: a last week 10 % above the weeks before lifts the forecast', () => {
    const observations: ForecastObservation[] = Array.from({ length: 28 }, (_, index) => ({
      slot: index % 7,
      heating: 0,
      cooling: 0,
      kwh: index >= 21 ? 11 : 10,
    }));
    const model = fitForecastModel(observations, { slotsPerDay: 1, recentCount: 7 });
    // Levels are the 4-week mean (10.25); the last week is 11 / 10.25 of that.
    expect(model.recentLevel).toBeCloseTo(11 / 10.25, 12);
    expect(predictKwh(model, { slot: 0, heating: 0, cooling: 0 })).toBeCloseTo(11, 12);
  });

  it('gives a slot never observed the mean of the same time of day on other days', () => {
    const model = fitForecastModel(
      [
        { slot: 0 * 48 + 3, heating: 0, cooling: 0, kwh: 2 },
        { slot: 1 * 48 + 3, heating: 0, cooling: 0, kwh: 4 },
        { slot: 1 * 48 + 4, heating: 0, cooling: 0, kwh: 9 },
      ],
      { slotsPerDay: 48, recentCount: 3 },
    );
    expect(predictKwh(model, { slot: 6 * 48 + 3, heating: 0, cooling: 0 })).toBeCloseTo(3, 12);
  });
});

describe('forecastDays', () => {
  it('forecasts working days, Saturdays and Sundays each from their own kind of day', () => {
    const byWeekday = [10, 10, 10, 10, 10, 15, 14];
    const history = Array.from({ length: 21 }, (_, index) => ({
      day: addDays('2026-11-02', index),
      kwh: byWeekday[index % 7] as number,
    }));
    const targets = Array.from({ length: 7 }, (_, index) => addDays('2026-11-23', index));
    const forecast = forecastDays({ history, targets, degreesOfDay: () => ({ heating: 0, cooling: 0 }) });
    forecast.forEach((kwh, index) => expect(kwh).toBeCloseTo(byWeekday[index] as number, 12));
  });
});

describe('meanAbsolutePercentageError', () => {
  it('averages |forecast − actual| / actual in %, skipping zero actuals', () => {
    expect(
      meanAbsolutePercentageError([
        { forecast: 11, actual: 10 },
        { forecast: 18, actual: 20 },
        { forecast: 1, actual: 0 },
      ]),
    ).toBeCloseTo(10, 12);
  });
});
