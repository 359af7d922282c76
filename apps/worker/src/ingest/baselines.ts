import type { Sql } from '@meterops/db/client';
import { readMeterBaselines } from '@meterops/db/queries/meters';
import type { Baseline } from '@meterops/domain/vee';

/**
 * Each meter's recent history for the high/low-vs-history rules, loaded for the meters of a batch the
 * first time they appear and again once it is older than `maxAgeMs`. A meter with no history has no
 * baseline, and the rules that need one do not judge it.
 */
export class BaselineCache {
  private readonly entries = new Map<string, { baseline: Baseline | undefined; loadedAt: number }>();

  constructor(
    private readonly sql: Sql,
    private readonly options: { historyDays: number; maxAgeMs: number; maxAgeWithoutHistoryMs?: number },
  ) {}

  async prepare(meterIds: Iterable<string>, now = Date.now()): Promise<void> {
    const stale = [...new Set(meterIds)].filter((id) => {
      const entry = this.entries.get(id);
      if (!entry) return true;
      // A new meter builds history quickly; look again sooner than for one that has it.
      const maxAge = entry.baseline
        ? this.options.maxAgeMs
        : (this.options.maxAgeWithoutHistoryMs ?? this.options.maxAgeMs);
      return now - entry.loadedAt > maxAge;
    });
    if (stale.length === 0) return;
    const rows = await readMeterBaselines(this.sql, {
      meterIds: stale,
      days: this.options.historyDays,
      now: new Date(now),
    });
    const byMeter = new Map(rows.map((row) => [row.meterId, row]));
    for (const id of stale) {
      const row = byMeter.get(id);
      this.entries.set(id, {
        baseline: row ? { meanKwh: row.meanKwh, p95Kwh: row.p95Kwh, samples: row.samples } : undefined,
        loadedAt: now,
      });
    }
  }

  get(meterId: string): Baseline | undefined {
    return this.entries.get(meterId)?.baseline;
  }
}
