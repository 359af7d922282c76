/**
 * Exact sums of decimal strings such as Postgres numerics (`3122.7685`). kWh totals on the pages must
 * equal the database's sums to the last digit, which binary floating point cannot promise.
 */

function parse(value: string): { units: bigint; scale: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!match) throw new Error(`not a decimal: "${value}"`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = BigInt(`${whole}${fraction}`);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

function format(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** The exact sum, with as many decimals as the most precise term; `0` for no terms. */
export function sumDecimals(values: readonly string[]): string {
  if (values.length === 0) return '0';
  const parsed = values.map(parse);
  const scale = Math.max(...parsed.map((entry) => entry.scale));
  const total = parsed.reduce((sum, entry) => sum + entry.units * 10n ** BigInt(scale - entry.scale), 0n);
  return format(total, scale);
}
