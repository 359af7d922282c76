import { describe, expect, it } from 'vitest';
import {
  compareWithManifest,
  filesForMeter,
  formatKwh,
  monthTotals,
  normalizeTotals,
  parseKwh,
  sumKwh,
  type ManifestFile,
} from '../src/manifest';
import { addMonths, monthBounds, monthsOverlapping, partitionName, retentionCutoff } from '../src/months';

describe('kWh arithmetic', () => {
  it('parses decimals into exact units of 0.0001 kWh and prints them canonically', () => {
    expect(parseKwh('1.2345')).toBe(12345n);
    expect(parseKwh('0.5')).toBe(5000n);
    expect(parseKwh('12')).toBe(120000n);
    expect(parseKwh('-0.0001')).toBe(-1n);
    expect(parseKwh('3.45000')).toBe(34500n);
    expect(formatKwh(12345n)).toBe('1.2345');
    expect(formatKwh(-1n)).toBe('-0.0001');
    expect(formatKwh(0n)).toBe('0.0000');
  });

  it('refuses values finer than the column or not numbers', () => {
    expect(() => parseKwh('0.00001')).toThrow(/more than 4 decimals/);
    expect(() => parseKwh('1e3')).toThrow(/not a decimal/);
    expect(() => parseKwh('')).toThrow(/not a decimal/);
  });

  it('sums 29 million readings without rounding', () => {
    // 0.0001 + 0.0002 as floats is 0.00030000000000000003; in units it is exact at any count.
    const values = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? '0.0001' : '0.0002'));
    expect(sumKwh(values)).toBe('0.1500');
    expect(formatKwh(29_000_000n * 99_999n)).toBe('289997100.0000');
  });
});

describe('manifest comparison', () => {
  const manifest = {
    meters: [
      { meterId: 'M-2', rows: 2, kwh: '2.5', versionSum: 3 },
      { meterId: 'M-1', rows: 1, kwh: '1.0000', versionSum: 1 },
    ],
    revisions: { rows: 1, idSum: '7' },
  };

  it('matches totals written in another decimal form and order', () => {
    const actual = {
      meters: [
        { meterId: 'M-1', rows: 1, kwh: '1', versionSum: 1 },
        { meterId: 'M-2', rows: 2, kwh: '2.50', versionSum: 3 },
      ],
      revisions: { rows: 1, idSum: '7' },
    };
    expect(compareWithManifest(manifest, actual, 'postgres')).toEqual([]);
  });

  it('names every meter and revision difference', () => {
    const actual = {
      meters: [
        { meterId: 'M-2', rows: 2, kwh: '2.5001', versionSum: 4 },
        { meterId: 'M-3', rows: 5, kwh: '1', versionSum: 5 },
      ],
      revisions: { rows: 1, idSum: '8' },
    };
    expect(compareWithManifest(manifest, actual, 'postgres')).toEqual([
      'postgres: meter M-2 sums to 2.5001 kWh, manifest 2.5000',
      'postgres: meter M-2 has version sum 4, manifest 3',
      'postgres: meter M-3 has 5 readings the manifest does not list',
      'postgres: meter M-1 is missing (manifest lists 1 readings)',
      'postgres: revisions: 1 rows (id sum 8), manifest 1 rows (id sum 7)',
    ]);
  });

  it('adds month totals from its meters', () => {
    expect(monthTotals(normalizeTotals(manifest.meters))).toEqual({ rows: 3, kwh: '3.5000', versionSum: 4 });
  });

  it('opens only the files whose meter range holds the meter', () => {
    const file = (key: string, first: string, last: string): ManifestFile => ({
      key,
      kind: 'readings',
      rows: 1,
      bytes: 1,
      sha256: '',
      firstMeter: first,
      lastMeter: last,
    });
    const files = [file('a', 'M-0001', 'M-0500'), file('b', 'M-0501', 'M-0999')];
    expect(filesForMeter({ files }, 'M-0501').map((f) => f.key)).toEqual(['b']);
    expect(filesForMeter({ files }, 'M-0500').map((f) => f.key)).toEqual(['a']);
    expect(filesForMeter({ files }, 'X')).toEqual([]);
  });
});

describe('months', () => {
  it('keeps the current month and the ones before it that the retention names', () => {
    expect(retentionCutoff(new Date('2026-12-04T10:00:00Z'), 13)).toBe('2025-12');
    expect(retentionCutoff(new Date('2026-01-31T23:59:59Z'), 1)).toBe('2026-01');
    expect(() => retentionCutoff(new Date(), 0)).toThrow();
  });

  it('cuts UTC months and names partitions as ensure_readings_partition does', () => {
    expect(monthBounds('2024-02')).toEqual({
      start: new Date('2024-02-01T00:00:00Z'),
      end: new Date('2024-03-01T00:00:00Z'),
    });
    expect(addMonths('2024-12', 1)).toBe('2025-01');
    expect(partitionName('2024-02')).toBe('readings_2024_02');
    expect(monthsOverlapping(new Date('2024-01-31T23:00:00Z'), new Date('2024-03-01T00:00:00Z'))).toEqual([
      '2024-01',
      '2024-02',
    ]);
  });
});
