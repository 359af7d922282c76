/**
 * The manifest of an archived month and the arithmetic that checks it: exact kWh sums in units of
 * 0.0001 kWh (the DECIMAL(14,4) of readings.kwh) as bigint, so a sum over 29 million readings has no
 * rounding, and a comparison that names every difference.
 */

/** One meter's totals in a month: what Postgres, the Parquet files and the manifest must agree on. */
export interface MeterTotals {
  meterId: string;
  rows: number;
  /** Exact decimal kWh, canonical form (see formatKwh). */
  kwh: string;
  /** Sum of reading versions: any replacement of a value since archiving changes it. */
  versionSum: number;
}

export interface RevisionTotals {
  rows: number;
  /** Sum of the revision ids (exact, as a decimal string): the same count with other ids differs. */
  idSum: string;
}

export interface ManifestFile {
  /** Storage key relative to the archive root. */
  key: string;
  kind: 'readings' | 'revisions';
  rows: number;
  bytes: number;
  sha256: string;
  /** Meter id range of a readings file (byte order), so a reader opens only the file holding a meter. */
  firstMeter: string | null;
  lastMeter: string | null;
}

export interface MonthManifest {
  format: 1;
  /** `YYYY-MM`, a UTC calendar month of interval_start. */
  month: string;
  createdAt: string;
  readings: { rows: number; kwh: string; versionSum: number };
  revisions: RevisionTotals;
  files: ManifestFile[];
  /** Sorted by meter id (byte order). */
  meters: MeterTotals[];
}

const KWH_SCALE = 4;
const KWH_PATTERN = /^(-?)(\d+)(?:\.(\d+))?$/;

/** A decimal kWh string as an integer number of 0.0001 kWh; throws on anything finer or not a number. */
export function parseKwh(value: string): bigint {
  const match = KWH_PATTERN.exec(value.trim());
  if (match === null) throw new RangeError(`not a decimal kWh value: ${JSON.stringify(value)}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > KWH_SCALE) throw new RangeError(`${value} has more than ${KWH_SCALE} decimals`);
  const units =
    BigInt(whole) * 10n ** BigInt(KWH_SCALE) +
    BigInt(fraction.padEnd(KWH_SCALE, '0').slice(0, KWH_SCALE) || '0');
  return sign === '-' ? -units : units;
}

/** Canonical text of an amount of 0.0001 kWh: always four decimals ('12.3400', '-0.0001', '0.0000'). */
export function formatKwh(units: bigint): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(KWH_SCALE + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -KWH_SCALE)}.${digits.slice(-KWH_SCALE)}`;
}

/** The exact sum of decimal kWh strings, canonical. */
export function sumKwh(values: Iterable<string>): string {
  let total = 0n;
  for (const value of values) total += parseKwh(value);
  return formatKwh(total);
}

/** Rewrites totals into canonical form and byte order of meter id, whatever produced them. */
export function normalizeTotals(meters: Iterable<MeterTotals>): MeterTotals[] {
  return [...meters]
    .map((meter) => ({ ...meter, kwh: formatKwh(parseKwh(meter.kwh)) }))
    .sort((a, b) => compareBytes(a.meterId, b.meterId));
}

/** Byte order of UTF-8 strings, as DuckDB and Parquet statistics sort them (not the database collation). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The month's readings totals from per-meter totals. */
export function monthTotals(meters: readonly MeterTotals[]): MonthManifest['readings'] {
  let rows = 0;
  let versionSum = 0;
  let kwh = 0n;
  for (const meter of meters) {
    rows += meter.rows;
    versionSum += meter.versionSum;
    kwh += parseKwh(meter.kwh);
  }
  return { rows, kwh: formatKwh(kwh), versionSum };
}

/**
 * Every way `actual` (what a source holds now) differs from the manifest: per meter rows, kWh and
 * versions, meters only on one side, and the revisions. Empty means they match exactly. At most `limit`
 * differences are listed, so a wholly different month does not print 10,000 lines.
 */
export function compareWithManifest(
  manifest: Pick<MonthManifest, 'meters' | 'revisions'>,
  actual: { meters: readonly MeterTotals[]; revisions: RevisionTotals },
  source: string,
  limit = 20,
): string[] {
  const differences: string[] = [];
  const add = (text: string) => {
    if (differences.length < limit) differences.push(`${source}: ${text}`);
  };
  const expected = new Map(normalizeTotals(manifest.meters).map((meter) => [meter.meterId, meter]));
  const seen = new Set<string>();
  for (const meter of normalizeTotals(actual.meters)) {
    seen.add(meter.meterId);
    const want = expected.get(meter.meterId);
    if (want === undefined) {
      add(`meter ${meter.meterId} has ${meter.rows} readings the manifest does not list`);
      continue;
    }
    if (want.rows !== meter.rows)
      add(`meter ${meter.meterId} has ${meter.rows} readings, manifest ${want.rows}`);
    if (want.kwh !== meter.kwh) add(`meter ${meter.meterId} sums to ${meter.kwh} kWh, manifest ${want.kwh}`);
    if (want.versionSum !== meter.versionSum)
      add(`meter ${meter.meterId} has version sum ${meter.versionSum}, manifest ${want.versionSum}`);
  }
  for (const meterId of expected.keys()) {
    if (!seen.has(meterId))
      add(`meter ${meterId} is missing (manifest lists ${expected.get(meterId)?.rows} readings)`);
  }
  if (
    manifest.revisions.rows !== actual.revisions.rows ||
    manifest.revisions.idSum !== actual.revisions.idSum
  ) {
    add(
      `revisions: ${actual.revisions.rows} rows (id sum ${actual.revisions.idSum}), manifest ` +
        `${manifest.revisions.rows} rows (id sum ${manifest.revisions.idSum})`,
    );
  }
  return differences;
}

/** The readings files whose meter range can hold `meterId`. */
export function filesForMeter(manifest: Pick<MonthManifest, 'files'>, meterId: string): ManifestFile[] {
  return manifest.files.filter(
    (file) =>
      file.kind === 'readings' &&
      file.firstMeter !== null &&
      file.lastMeter !== null &&
      compareBytes(file.firstMeter, meterId) <= 0 &&
      compareBytes(meterId, file.lastMeter) <= 0,
  );
}
