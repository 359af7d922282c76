/**
 * The simulated weather: one deterministic hourly air temperature series per region, shared by the
 * simulator (consumption responds to it) and the forecaster (which regresses on it). The series is a
 * climate normal (seasonal cycle plus a diurnal cycle) plus weather: anomalies lasting a few days and a
 * faster day-to-day wobble, both drawn from a PRNG seeded by region and time, so any hour can be computed
 * on its own, on any machine, with the same result.
 *
 * A real deployment replaces this with observed and forecast temperatures in `weather_observations`.
 */
import { createRandom } from './random';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface RegionClimate {
  /** Yearly mean air temperature, °C. */
  meanC: number;
  /** Half the spread between the mid-winter and mid-summer normal, °C. */
  seasonalAmplitudeC: number;
  /** Half the spread between the normal at dawn and mid-afternoon, °C. */
  diurnalAmplitudeC: number;
  /** Local solar time minus UTC, hours (longitude / 15). */
  solarOffsetHours: number;
}

/** Climates of the demo fleet's regions, roughly as observed there; other regions get `defaultClimate`. */
export const regionClimates: Readonly<Record<string, RegionClimate>> = Object.freeze({
  scotland: { meanC: 8.5, seasonalAmplitudeC: 5.5, diurnalAmplitudeC: 3, solarOffsetHours: -0.3 },
  'north-west': { meanC: 10, seasonalAmplitudeC: 6, diurnalAmplitudeC: 3.2, solarOffsetHours: -0.2 },
  'north-east': { meanC: 9.5, seasonalAmplitudeC: 6, diurnalAmplitudeC: 3.3, solarOffsetHours: -0.1 },
  midlands: { meanC: 10.3, seasonalAmplitudeC: 6.5, diurnalAmplitudeC: 3.8, solarOffsetHours: -0.1 },
  london: { meanC: 11.5, seasonalAmplitudeC: 7, diurnalAmplitudeC: 4, solarOffsetHours: 0 },
  'south-west': { meanC: 11, seasonalAmplitudeC: 5.5, diurnalAmplitudeC: 3.2, solarOffsetHours: -0.25 },
  'south-east': { meanC: 11.2, seasonalAmplitudeC: 6.5, diurnalAmplitudeC: 4, solarOffsetHours: 0.05 },
  wales: { meanC: 10, seasonalAmplitudeC: 5.5, diurnalAmplitudeC: 3.2, solarOffsetHours: -0.25 },
  randstad: { meanC: 10.5, seasonalAmplitudeC: 7, diurnalAmplitudeC: 3.8, solarOffsetHours: 0.3 },
});

export const defaultClimate: Readonly<RegionClimate> = Object.freeze({
  meanC: 10.5,
  seasonalAmplitudeC: 6.5,
  diurnalAmplitudeC: 3.5,
  solarOffsetHours: 0,
});

function climateOf(region: string): RegionClimate {
  return regionClimates[region] ?? defaultClimate;
}

/** The coldest day of the normal year is about 20 January, the warmest about 21 July. */
const coldestDayOfYear = 20;
/** The normal day is coldest around 05:00 solar time and warmest around 15:00. */
const warmestSolarHour = 15;

/** The climate normal at an instant: what a weather forecast falls back to beyond its horizon. */
export function climateNormalC(region: string, epochMs: number): number {
  const climate = climateOf(region);
  const yearPosition = (epochMs / DAY_MS - coldestDayOfYear + 1) / 365.2425;
  const seasonal = climate.meanC - climate.seasonalAmplitudeC * Math.cos(2 * Math.PI * yearPosition);
  const solarHour = (((epochMs / HOUR_MS + climate.solarOffsetHours) % 24) + 24) % 24;
  const diurnal = climate.diurnalAmplitudeC * Math.cos((2 * Math.PI * (solarHour - warmestSolarHour)) / 24);
  return seasonal + diurnal;
}

/**
 * Smooth noise of unit-ish spread: standard normal knots at whole multiples of `periodMs`, joined by
 * smoothstep, each knot drawn from its own seed so any instant is computed without the ones before.
 */
function smoothNoise(stream: string, epochMs: number, periodMs: number): number {
  const position = epochMs / periodMs;
  const knot = Math.floor(position);
  const fraction = position - knot;
  const at = (k: number) => createRandom(`${stream}/${k}`).normal();
  const from = at(knot);
  const to = at(knot + 1);
  return from + (to - from) * fraction * fraction * (3 - 2 * fraction);
}

/** Spread of the multi-day anomalies (cold snaps, warm spells) and of the day-to-day wobble, °C. */
const synopticSpreadC = 3.2;
const dailySpreadC = 1.3;

/**
 * Air temperature of the hour starting at (or containing) `epochMs`, °C to one decimal: the value the
 * simulator drives consumption with, and the value `weather_observations` stores for it.
 */
export function hourlyTemperatureC(region: string, epochMs: number, seed = 1): number {
  const hourStart = Math.floor(epochMs / HOUR_MS) * HOUR_MS;
  const anomaly =
    synopticSpreadC * smoothNoise(`weather/${seed}/${region}/synoptic`, hourStart, 3 * DAY_MS) +
    dailySpreadC * smoothNoise(`weather/${seed}/${region}/daily`, hourStart, 0.75 * DAY_MS);
  return Math.round((climateNormalC(region, hourStart) + anomaly) * 10) / 10;
}

/** Hourly temperatures of [fromMs, toMs) for one region, hour starts ascending. */
export function hourlyTemperatures(
  region: string,
  fromMs: number,
  toMs: number,
  seed = 1,
): { hourStartMs: number; temperatureC: number }[] {
  const hours: { hourStartMs: number; temperatureC: number }[] = [];
  for (let at = Math.ceil(fromMs / HOUR_MS) * HOUR_MS; at < toMs; at += HOUR_MS) {
    hours.push({ hourStartMs: at, temperatureC: hourlyTemperatureC(region, at, seed) });
  }
  return hours;
}

/**
 * Temperatures looked up by hour, each computed once: the simulator asks for the same region-hour once
 * per meter.
 */
export function createWeatherCache(seed = 1): (region: string, epochMs: number) => number {
  const cache = new Map<string, number>();
  return (region, epochMs) => {
    const hourStart = Math.floor(epochMs / HOUR_MS) * HOUR_MS;
    const key = `${region}@${hourStart}`;
    let value = cache.get(key);
    if (value === undefined) {
      value = hourlyTemperatureC(region, hourStart, seed);
      if (cache.size > 200_000) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}

/** Below this air temperature buildings are heated (°C): the base of heating degrees. */
export const heatingBaseC = 15;
/** Above this air temperature buildings are cooled (°C): the base of cooling degrees. */
export const coolingBaseC = 22;

export const heatingDegrees = (temperatureC: number) => Math.max(0, heatingBaseC - temperatureC);
export const coolingDegrees = (temperatureC: number) => Math.max(0, temperatureC - coolingBaseC);
