/** Arithmetic of the completeness page, kept out of the components so it can be tested alone. */

export interface Counts {
  expected: number;
  actual: number;
  estimated: number;
  edited: number;
}

/** Intervals neither received nor estimated nor edited; never negative (late extras do not offset gaps). */
export function missingOf(counts: Counts): number {
  return Math.max(0, counts.expected - counts.actual - counts.estimated - counts.edited);
}

export function sumCounts(rows: readonly Counts[]): Counts {
  return rows.reduce<Counts>(
    (total, row) => ({
      expected: total.expected + row.expected,
      actual: total.actual + row.actual,
      estimated: total.estimated + row.estimated,
      edited: total.edited + row.edited,
    }),
    { expected: 0, actual: 0, estimated: 0, edited: 0 },
  );
}

/** Per day, the sum of the given region cells (all regions, or one). */
export function countsByDay<T extends Counts & { day: string; region: string }>(
  cells: readonly T[],
  days: readonly string[],
  region: string | null,
): (Counts & { day: string; hasData: boolean })[] {
  return days.map((day) => {
    const ofDay = cells.filter((cell) => cell.day === day && (region === null || cell.region === region));
    return { day, hasData: ofDay.length > 0, ...sumCounts(ofDay) };
  });
}
