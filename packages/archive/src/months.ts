/** UTC calendar months as the readings partitions cut them: `YYYY-MM` keys, bounds, partition names. */

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isMonthKey(value: string): boolean {
  return MONTH_PATTERN.test(value);
}

export function parseMonthKey(value: string): { year: number; month: number } {
  const match = MONTH_PATTERN.exec(value);
  if (match === null) throw new RangeError(`not a month YYYY-MM: ${JSON.stringify(value)}`);
  return { year: Number(match[1]), month: Number(match[2]) };
}

/** [start, end) of the month in UTC. */
export function monthBounds(key: string): { start: Date; end: Date } {
  const { year, month } = parseMonthKey(key);
  return { start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

/** The month `n` months after `key` (negative: before). */
export function addMonths(key: string, n: number): string {
  const { year, month } = parseMonthKey(key);
  return monthKeyOf(new Date(Date.UTC(year, month - 1 + n, 1)));
}

/** The UTC month an instant falls in. */
export function monthKeyOf(at: Date): string {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The readings partition of a month, as ensure_readings_partition names it. */
export function partitionName(key: string): string {
  return `readings_${key.replace('-', '_')}`;
}

/** The month a partition name stands for, or null for a name that is not a month partition. */
export function monthOfPartition(name: string): string | null {
  const match = /^readings_(\d{4})_(\d{2})$/.exec(name);
  if (match === null) return null;
  const key = `${match[1]}-${match[2]}`;
  return isMonthKey(key) ? key : null;
}

/**
 * The first month a retention of `keepMonths` keeps in Postgres at `now`: the current month and the
 * `keepMonths - 1` before it stay; every earlier month is due for the archive.
 */
export function retentionCutoff(now: Date, keepMonths: number): string {
  if (!Number.isInteger(keepMonths) || keepMonths < 1) throw new RangeError('keep at least one month');
  return addMonths(monthKeyOf(now), -(keepMonths - 1));
}

/** The UTC months overlapping [from, to), oldest first. */
export function monthsOverlapping(from: Date, to: Date): string[] {
  const months: string[] = [];
  if (to <= from) return months;
  const last = monthKeyOf(new Date(to.getTime() - 1));
  for (let key = monthKeyOf(from); key <= last; key = addMonths(key, 1)) months.push(key);
  return months;
}
