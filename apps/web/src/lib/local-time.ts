/**
 * Times in a meter's own zone, for the pages that show one meter (customers read their day in their own
 * clock). Every other page shows UTC (./format.ts).
 */
const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(timeZone: string): Intl.DateTimeFormat {
  let format = timeFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(timeZone, format);
  }
  return format;
}

/** `14:30` on the meter's wall clock. */
export function formatLocalTime(date: Date | number, timeZone: string): string {
  return timeFormat(timeZone).format(date);
}

/** `14:30–15:00` for an interval of `minutes` starting at `date`. */
export function formatLocalInterval(date: Date, minutes: number, timeZone: string): string {
  return `${formatLocalTime(date, timeZone)}–${formatLocalTime(date.getTime() + minutes * 60_000, timeZone)}`;
}

/** `Friday 20 November 2026` for a `YYYY-MM-DD` day. */
export function formatLongDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** `20 Nov 2026` */
export function formatShortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** `November 2026` */
export function formatLongMonth(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** `Europe/London` → `London time` */
export function zoneLabel(timeZone: string): string {
  const city = timeZone.split('/').at(-1)?.replace(/_/g, ' ');
  return city ? `${city} time` : timeZone;
}
