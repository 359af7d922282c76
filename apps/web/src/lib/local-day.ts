/** The meter's local calendar day of an instant, with the zone's own offset (client-safe, Intl only). */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function localDayOf(date: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    // en-CA writes dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    dayFormats.set(timeZone, format);
  }
  return format.format(date);
}
