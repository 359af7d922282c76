/**
 * How the portal writes numbers, times and durations. Times are shown in UTC and say so: settlement
 * periods and Kafka positions are UTC, and one zone for everyone keeps shared screenshots unambiguous.
 */

const integer = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** `12,345` */
export function formatCount(value: number): string {
  return integer.format(value);
}

/** An exact decimal string with thousands separators and every digit kept: `3122.7685` → `3,122.7685`. */
export function formatDecimal(value: string): string {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(value.trim());
  if (!match) return value;
  const [, sign = '', whole = '', fraction = ''] = match;
  return `${sign}${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction}`;
}

/** kWh rounded for reading at a glance: `3,122.8 kWh`, `1,200.0 MWh` from a million kWh up. */
export function formatKwhShort(kwh: number): string {
  if (Math.abs(kwh) >= 1_000_000) return `${oneDecimal.format(kwh / 1_000)} MWh`;
  return `${oneDecimal.format(kwh)} kWh`;
}

/**
 * A share as a percentage with one decimal, never rounding up to 100.0 % or down to 0.0 % unless it is
 * exactly that, so a nearly complete day does not read as complete.
 */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return '–';
  const percent = (part / whole) * 100;
  let rounded = Math.round(percent * 10) / 10;
  if (rounded === 100 && part < whole) rounded = 99.9;
  if (rounded === 0 && part > 0) rounded = 0.1;
  return `${rounded.toFixed(1)} %`;
}

/** A share as a number in [0, 100] with the same rule as formatShare, for charts. */
export function sharePercent(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  const rounded = Math.round((part / whole) * 1000) / 10;
  if (rounded === 100 && part < whole) return 99.9;
  return rounded;
}

/** Milliseconds for people: `850 ms`, `12.4 s`, `3 min 20 s`, `2 h 5 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  if (abs < 1_000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1_000;
  if (Math.abs(seconds) < 60) return `${seconds.toFixed(1)} s`;
  const totalSeconds = Math.round(seconds);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const rest = totalSeconds % 60;
  if (days > 0) return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes > 0 ? `${hours} h ${minutes} min` : `${hours} h`;
  return rest > 0 ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** `2026-11-20 14:05:09 UTC` */
export function formatUtc(date: Date | number, options: { seconds?: boolean } = {}): string {
  const iso = new Date(date).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, options.seconds === false ? 16 : 19)} UTC`;
}

/** `14:05` (UTC) */
export function formatUtcTime(date: Date | number): string {
  return new Date(date).toISOString().slice(11, 16);
}

/** `Fri 20 Nov` for a `YYYY-MM-DD` day. */
export function formatDay(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return date.toLocaleDateString('en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

/** `Nov 2026` for the first day of a month. */
export function formatMonth(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** `5 min ago`, `just now`, `in 3 s` relative to `now`. */
export function formatAgo(date: Date | number, now: number): string {
  const ms = now - new Date(date).getTime();
  if (Math.abs(ms) < 2_000) return 'just now';
  return ms > 0 ? `${formatDuration(ms)} ago` : `in ${formatDuration(-ms)}`;
}

/** `london` → `London`, `north-west` → `North West`, `COM-FLAT` stays. */
export function formatKey(key: string): string {
  if (/[A-Z]/.test(key)) return key;
  return key
    .split(/[-_\s]+/)
    .map((word) => (word ? word[0]?.toUpperCase() + word.slice(1) : word))
    .join(' ');
}

/** `negative_value` → `Negative value` */
export function formatRule(rule: string): string {
  const text = rule.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
