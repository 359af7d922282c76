/**
 * Instants, local days and interval grids. Everything is epoch milliseconds; a local day is 'YYYY-MM-DD'
 * in a meter's IANA zone. Zone offsets come from luxon only on a cache miss: each (zone, UTC day) is
 * resolved once into its offset before and after the (at most one) transition inside it, so the per
 * reading path is a map lookup and integer arithmetic.
 */
import { IANAZone } from 'luxon';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A calendar date 'YYYY-MM-DD'. */
export type LocalDay = string;

// ---------------------------------------------------------------------------------------------------
// Civil calendar arithmetic (proleptic Gregorian; H. Hinnant's algorithms). Date.UTC is avoided because
// it maps years 0–99 to 1900–1999.

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

function civilFromDays(days: number): CivilDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function formatDay(days: number): LocalDay {
  const { year, month, day } = civilFromDays(days);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** Days since 1970-01-01 of a 'YYYY-MM-DD' day; throws RangeError unless it is a real calendar date. */
function dayNumber(day: LocalDay): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  const date = Number(match?.[3]);
  if (match === null || month < 1 || month > 12 || date < 1 || date > daysInMonth(year, month)) {
    throw new RangeError(`"${day}" is not a calendar day YYYY-MM-DD`);
  }
  return daysFromCivil(year, month, date);
}

/** The day `days` days after (or before, if negative) `day`. */
export function addDays(day: LocalDay, days: number): LocalDay {
  return formatDay(dayNumber(day) + days);
}

/** ISO weekday of a calendar day: 1 = Monday … 7 = Sunday. */
export function isoWeekday(day: LocalDay): number {
  return isoWeekdayOfDayNumber(dayNumber(day));
}

function isoWeekdayOfDayNumber(days: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

// ---------------------------------------------------------------------------------------------------
// Instants

function digit(text: string, index: number): number {
  const code = text.charCodeAt(index) - 48;
  return code >= 0 && code <= 9 ? code : -1;
}

function twoDigits(text: string, index: number): number {
  const tens = digit(text, index);
  const ones = digit(text, index + 1);
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones;
}

/**
 * Epoch ms of an RFC 3339 instant `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, or null for anything else —
 * in particular a local time without offset, which is ambiguous around DST. Digits of the fraction beyond
 * milliseconds are ignored. Accepts exactly what the contract's JSON Schema pattern accepts.
 */
export function parseInstant(text: string): number | null {
  if (text.length < 20) return null;
  const y1 = twoDigits(text, 0);
  const y2 = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (
    y1 < 0 ||
    y2 < 0 ||
    text[4] !== '-' ||
    text[7] !== '-' ||
    text[10] !== 'T' ||
    text[13] !== ':' ||
    text[16] !== ':' ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return null;
  }
  const year = y1 * 100 + y2;
  if (day > daysInMonth(year, month)) return null;

  let index = 19;
  let millis = 0;
  if (text[index] === '.') {
    index += 1;
    const fractionStart = index;
    while (digit(text, index) >= 0) {
      if (index - fractionStart < 3) millis = millis * 10 + digit(text, index);
      index += 1;
    }
    const fractionDigits = index - fractionStart;
    if (fractionDigits === 0) return null;
    if (fractionDigits < 3) millis *= fractionDigits === 1 ? 100 : 10;
  }

  let offsetMinutes = 0;
  const designator = text[index];
  if (designator === 'Z') {
    if (text.length !== index + 1) return null;
  } else if (designator === '+' || designator === '-') {
    const offsetHour = twoDigits(text, index + 1);
    const offsetMinute = twoDigits(text, index + 4);
    if (
      text.length !== index + 6 ||
      text[index + 3] !== ':' ||
      offsetHour < 0 ||
      offsetHour > 23 ||
      offsetMinute < 0 ||
      offsetMinute > 59
    ) {
      return null;
    }
    offsetMinutes = (designator === '+' ? 1 : -1) * (offsetHour * 60 + offsetMinute);
  } else {
    return null;
  }

  return (
    daysFromCivil(year, month, day) * DAY_MS +
    hour * HOUR_MS +
    minute * MINUTE_MS +
    second * 1000 +
    millis -
    offsetMinutes * MINUTE_MS
  );
}

/** The canonical UTC text of an instant, e.g. '2026-11-22T00:15:00Z' (milliseconds only when non-zero). */
export function formatInstant(epochMs: number): string {
  const iso = new Date(epochMs).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

// ---------------------------------------------------------------------------------------------------
// Zone offsets

/** Offsets of one UTC day of one zone: `beforeMs` until `transitionMs`, `afterMs` from it on. */
interface DayOffsets {
  readonly beforeMs: number;
  readonly afterMs: number;
  /** First instant with the new offset; Infinity when the offset is the same all day. */
  readonly transitionMs: number;
}

interface ZoneCache {
  readonly zone: IANAZone;
  readonly days: Map<number, DayOffsets>;
  lastDayIndex: number;
  last: DayOffsets | undefined;
}

/** Bounds memory if a producer sends instants scattered over centuries; refilling costs one luxon call per day. */
const MAX_CACHED_DAYS_PER_ZONE = 20_000;
const zoneCaches = new Map<string, ZoneCache>();

function zoneCache(timeZone: string): ZoneCache {
  let cache = zoneCaches.get(timeZone);
  if (cache === undefined) {
    const zone = IANAZone.create(timeZone);
    if (!zone.isValid) throw new RangeError(`Unknown time zone "${timeZone}"`);
    cache = { zone, days: new Map(), lastDayIndex: Number.NaN, last: undefined };
    zoneCaches.set(timeZone, cache);
  }
  return cache;
}

function zoneOffsetMs(zone: IANAZone, epochMs: number): number {
  return Math.round(zone.offset(epochMs) * MINUTE_MS);
}

function resolveDay(zone: IANAZone, dayIndex: number): DayOffsets {
  const start = dayIndex * DAY_MS;
  const end = start + DAY_MS;
  const beforeMs = zoneOffsetMs(zone, start);
  const afterMs = zoneOffsetMs(zone, end);
  if (beforeMs === afterMs) return { beforeMs, afterMs, transitionMs: Number.POSITIVE_INFINITY };
  // Invariant: offset(low) is the old offset, offset(high) is not. tzdb transitions fall on whole seconds.
  let low = start;
  let high = end;
  while (high - low > 1000) {
    const middle = low + Math.floor((high - low) / 2000) * 1000;
    if (zoneOffsetMs(zone, middle) === beforeMs) low = middle;
    else high = middle;
  }
  return { beforeMs, afterMs, transitionMs: high };
}

function dayOffsets(cache: ZoneCache, dayIndex: number): DayOffsets {
  if (dayIndex === cache.lastDayIndex && cache.last !== undefined) return cache.last;
  let offsets = cache.days.get(dayIndex);
  if (offsets === undefined) {
    offsets = resolveDay(cache.zone, dayIndex);
    if (cache.days.size >= MAX_CACHED_DAYS_PER_ZONE) cache.days.clear();
    cache.days.set(dayIndex, offsets);
  }
  cache.lastDayIndex = dayIndex;
  cache.last = offsets;
  return offsets;
}

function offsetAt(cache: ZoneCache, epochMs: number): number {
  const offsets = dayOffsets(cache, Math.floor(epochMs / DAY_MS));
  return epochMs < offsets.transitionMs ? offsets.beforeMs : offsets.afterMs;
}

/** UTC offset of `timeZone` at an instant, in ms (local = UTC + offset). Throws RangeError for an unknown zone. */
export function utcOffsetMs(epochMs: number, timeZone: string): number {
  return offsetAt(zoneCache(timeZone), epochMs);
}

/** Calls `visit` for consecutive stretches of constant offset that exactly cover [fromMs, toMs). */
function forEachOffsetStretch(
  cache: ZoneCache,
  fromMs: number,
  toMs: number,
  visit: (startMs: number, endMs: number, offsetMs: number) => void,
): void {
  let at = fromMs;
  while (at < toMs) {
    const dayIndex = Math.floor(at / DAY_MS);
    const offsets = dayOffsets(cache, dayIndex);
    const dayEnd = (dayIndex + 1) * DAY_MS;
    const stop = Math.min(at < offsets.transitionMs ? offsets.transitionMs : dayEnd, dayEnd, toMs);
    visit(at, stop, at < offsets.transitionMs ? offsets.beforeMs : offsets.afterMs);
    at = stop;
  }
}

/** UTC offsets are within −12 h … +14 h; a margin beyond that bounds every search for a wall-clock time. */
const OFFSET_SEARCH_MS = 15 * HOUR_MS;

/**
 * The first instant whose local wall-clock time is at or after `wallMs` (local time written as if UTC).
 * When that time falls in a spring-forward gap this is the transition; when it repeats after a fall-back,
 * its first occurrence.
 */
function firstInstantAtWallTime(cache: ZoneCache, wallMs: number): number {
  let found = Number.NaN;
  forEachOffsetStretch(cache, wallMs - OFFSET_SEARCH_MS, wallMs + OFFSET_SEARCH_MS, (start, end, offset) => {
    if (!Number.isNaN(found)) return;
    const candidate = Math.max(start, wallMs - offset);
    if (candidate < end) found = candidate;
  });
  if (Number.isNaN(found)) throw new RangeError(`No instant found for local time ${formatInstant(wallMs)}`);
  return found;
}

// ---------------------------------------------------------------------------------------------------
// Local days and interval grids

function intervalMs(intervalMinutes: number): number {
  if (!Number.isInteger(intervalMinutes) || intervalMinutes <= 0 || 1440 % intervalMinutes !== 0) {
    throw new RangeError(`Interval of ${intervalMinutes} minutes does not divide a day`);
  }
  return intervalMinutes * MINUTE_MS;
}

/**
 * Whether an instant starts an interval of the meter's grid, which is aligned in its local time: at +05:45
 * (Asia/Kathmandu) 30-minute intervals start at :15 and :45 past the UTC hour.
 */
export function isAlignedToInterval(epochMs: number, intervalMinutes: number, timeZone: string): boolean {
  // -0 === 0, so the sign JS gives a remainder of a negative number does not matter.
  return (epochMs + utcOffsetMs(epochMs, timeZone)) % (intervalMinutes * MINUTE_MS) === 0;
}

/** The local calendar day of an instant in `timeZone`. */
export function localDay(epochMs: number, timeZone: string): LocalDay {
  return formatDay(Math.floor((epochMs + utcOffsetMs(epochMs, timeZone)) / DAY_MS));
}

/** Local calendar facts of an instant, for load profiles and slot-of-day lookups. */
export interface LocalTimeParts {
  day: LocalDay;
  /** 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
  /** 1 … 366. */
  dayOfYear: number;
  /** Minutes since local midnight by the wall clock, 0 … 1439 (fractional below a minute). */
  minuteOfDay: number;
  /** minuteOfDay / 60. */
  localHour: number;
}

export function localTimeParts(epochMs: number, timeZone: string): LocalTimeParts {
  const localMs = epochMs + utcOffsetMs(epochMs, timeZone);
  const days = Math.floor(localMs / DAY_MS);
  const minuteOfDay = (localMs - days * DAY_MS) / MINUTE_MS;
  const { year } = civilFromDays(days);
  return {
    day: formatDay(days),
    isoWeekday: isoWeekdayOfDayNumber(days),
    dayOfYear: days - daysFromCivil(year, 1, 1) + 1,
    minuteOfDay,
    localHour: minuteOfDay / 60,
  };
}

/**
 * [startMs, endMs) of a local day: from its first midnight to the next day's. 23 h or 25 h on DST days;
 * where midnight itself is skipped (America/Santiago) the day starts at the transition.
 */
export function localDayBounds(day: LocalDay, timeZone: string): { startMs: number; endMs: number } {
  const cache = zoneCache(timeZone);
  const wallMs = dayNumber(day) * DAY_MS;
  return {
    startMs: firstInstantAtWallTime(cache, wallMs),
    endMs: firstInstantAtWallTime(cache, wallMs + DAY_MS),
  };
}

/** Interval starts of a local day, ascending: 96 for 15 minutes on a 24-hour day, 92 or 100 on DST days. */
export function intervalStartsOfLocalDay(day: LocalDay, timeZone: string, intervalMinutes: number): number[] {
  const step = intervalMs(intervalMinutes);
  const cache = zoneCache(timeZone);
  const { startMs, endMs } = localDayBounds(day, timeZone);
  const starts: number[] = [];
  forEachOffsetStretch(cache, startMs, endMs, (from, to, offset) => {
    for (let at = Math.ceil((from + offset) / step) * step - offset; at < to; at += step) starts.push(at);
  });
  return starts;
}

/** Number of intervals the meter should report for a local day. */
export function intervalsInLocalDay(day: LocalDay, timeZone: string, intervalMinutes: number): number {
  const step = intervalMs(intervalMinutes);
  const cache = zoneCache(timeZone);
  const { startMs, endMs } = localDayBounds(day, timeZone);
  let count = 0;
  forEachOffsetStretch(cache, startMs, endMs, (from, to, offset) => {
    const first = Math.ceil((from + offset) / step) * step - offset;
    if (first < to) count += Math.floor((to - 1 - first) / step) + 1;
  });
  return count;
}
