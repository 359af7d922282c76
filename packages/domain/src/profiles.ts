/**
 * Synthetic load profiles for the simulator and benchmarks. Shapes are relative power over the local day,
 * normalised so that a meter with meterScale 1 uses `typicalDailyKwh` on an average day of the year.
 */
import type { Random } from './random';
import { coolingDegrees, heatingDegrees } from './weather';

export type Segment = 'residential' | 'commercial';

/** Average daily consumption over a year at meterScale 1. */
export const typicalDailyKwh: Readonly<Record<Segment, number>> = Object.freeze({
  residential: 10,
  commercial: 200,
});

export interface ProfileInput {
  segment: Segment;
  /** Local wall-clock hour at the interval start, fractional (18.25 = 18:15). */
  localHour: number;
  /** 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  /** 1 … 366. */
  dayOfYear: number;
  intervalMinutes: number;
  /** Size of this meter relative to a typical one of its segment (1 = typical). */
  meterScale: number;
  /**
   * Air temperature of the interval's hour (°C). When given, heating and cooling follow it instead of the
   * fixed seasonal curve; see `weatherFactor`.
   */
  temperatureC?: number;
}

type DayType = 'weekday' | 'saturday' | 'sunday';
type Shape = (hour: number) => number;

/** Bell curve around `center` on the 24-hour circle, so an evening peak's tail reaches past midnight. */
function bell(hour: number, center: number, width: number): number {
  const distance = Math.abs(hour - center);
  const wrapped = Math.min(distance, 24 - distance);
  return Math.exp(-0.5 * (wrapped / width) ** 2);
}

/** Smooth step up at `from` and down at `to`, with ramps of about `ramp` hours. */
function plateau(hour: number, from: number, to: number, ramp: number): number {
  return 1 / (1 + Math.exp(-(hour - from) / ramp)) / (1 + Math.exp(-(to - hour) / ramp));
}

const residentialWeekday: Shape = (h) =>
  0.35 + 0.9 * bell(h, 7.25, 1) + 0.25 * bell(h, 13, 3) + 1.6 * bell(h, 19.25, 1.9);
const residentialWeekend: Shape = (h) =>
  0.35 + 0.7 * bell(h, 9.5, 1.6) + 0.55 * bell(h, 13.5, 2.5) + 1.5 * bell(h, 19, 2);
const commercialWeekday: Shape = (h) => 0.25 + plateau(h, 7.5, 18.5, 0.4) - 0.08 * bell(h, 12.5, 0.6);
const commercialSaturday: Shape = (h) => 0.25 + 0.35 * plateau(h, 9, 14, 0.4);
const commercialSunday: Shape = () => 0.25;

/** Share of a week's energy per day type, relative to an average day (5 × weekday + saturday + sunday = 7). */
const dayFactors: Record<Segment, Record<DayType, number>> = {
  residential: { weekday: 0.97, saturday: 1.075, sunday: 1.075 },
  commercial: { weekday: 1.26, saturday: 0.5, sunday: 0.2 },
};

const SAMPLES_PER_HOUR = 60;

interface DayShape {
  shape: Shape;
  /** ∫ shape over the day in hours (midpoint rule by minute), so shares of the day sum to 1. */
  dailyIntegral: number;
}

function dayShape(shape: Shape): DayShape {
  let sum = 0;
  for (let i = 0; i < 24 * SAMPLES_PER_HOUR; i++) sum += shape((i + 0.5) / SAMPLES_PER_HOUR);
  return { shape, dailyIntegral: sum / SAMPLES_PER_HOUR };
}

const dayShapes: Record<Segment, Record<DayType, DayShape>> = {
  residential: {
    weekday: dayShape(residentialWeekday),
    saturday: dayShape(residentialWeekend),
    sunday: dayShape(residentialWeekend),
  },
  commercial: {
    weekday: dayShape(commercialWeekday),
    saturday: dayShape(commercialSaturday),
    sunday: dayShape(commercialSunday),
  },
};

/**
 * Seasonal factor with a yearly mean of 1, peaking mid-January (northern hemisphere): homes heat and light
 * more in winter; offices heat in winter and cool, a little, in summer.
 */
function seasonalFactor(segment: Segment, dayOfYear: number): number {
  const angle = (2 * Math.PI * (dayOfYear - 15)) / 365.25;
  return segment === 'residential'
    ? 1 + 0.3 * Math.cos(angle)
    : 1 + 0.12 * Math.cos(angle) + 0.06 * Math.cos(2 * angle);
}

/**
 * Response to the weather, replacing `seasonalFactor` when a temperature is known: a base load, plus
 * heating per degree below `heatingBaseC` and cooling per degree above `coolingBaseC`, plus (for homes) a
 * little more lighting in winter. Homes heat much and cool little; offices heat less per degree and run
 * air conditioning. The base is set so a year of the demo fleet's climates averages about 1.
 */
const weatherResponse: Record<Segment, { base: number; perHeatingDegree: number; perCoolingDegree: number }> =
  {
    residential: { base: 0.79, perHeatingDegree: 0.04, perCoolingDegree: 0.03 },
    commercial: { base: 0.88, perHeatingDegree: 0.018, perCoolingDegree: 0.045 },
  };

export function weatherFactor(segment: Segment, dayOfYear: number, temperatureC: number): number {
  const response = weatherResponse[segment];
  const lighting =
    segment === 'residential' ? 1 + 0.05 * Math.cos((2 * Math.PI * (dayOfYear - 355)) / 365.25) : 1;
  return (
    lighting *
    (response.base +
      response.perHeatingDegree * heatingDegrees(temperatureC) +
      response.perCoolingDegree * coolingDegrees(temperatureC))
  );
}

function dayType(isoWeekday: number): DayType {
  if (isoWeekday === 6) return 'saturday';
  if (isoWeekday === 7) return 'sunday';
  return 'weekday';
}

/** Mean kWh of one interval for the given segment and local time; not rounded. */
export function expectedIntervalKwh(input: ProfileInput): number {
  const type = dayType(input.isoWeekday);
  const { shape, dailyIntegral } = dayShapes[input.segment][type];
  const intervalHours = input.intervalMinutes / 60;
  const dailyKwh =
    typicalDailyKwh[input.segment] *
    dayFactors[input.segment][type] *
    (input.temperatureC === undefined
      ? seasonalFactor(input.segment, input.dayOfYear)
      : weatherFactor(input.segment, input.dayOfYear, input.temperatureC)) *
    input.meterScale;
  const share = (shape(input.localHour + intervalHours / 2) * intervalHours) / dailyIntegral;
  return dailyKwh * share;
}

/** Multiplicative noise per segment: homes switch kettles and ovens, offices run steady loads. */
const noiseSpread: Record<Segment, number> = { residential: 0.35, commercial: 0.12 };

/** A noisy interval reading around `expectedIntervalKwh`: log-normal noise with the same mean, 4 decimals, never negative. */
export function sampleIntervalKwh(input: ProfileInput, random: Random): number {
  const sigma = noiseSpread[input.segment];
  const kwh = expectedIntervalKwh(input) * Math.exp(random.normal(-(sigma * sigma) / 2, sigma));
  return Math.round(kwh * 10_000) / 10_000;
}
