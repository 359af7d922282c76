/**
 * Exact kWh decimals. Readings carry at most 4 decimal places (0.1 Wh), the scale of the database column,
 * so every value is an integer number of "units" of 0.0001 kWh; sums and estimates are done on units.
 */

/** Decimal places of a kWh value, everywhere in the platform. */
export const KWH_DECIMALS = 4;
const UNITS_PER_KWH = 10_000;

/**
 * The 4-decimal text of a kWh number, or null when it is not finite or has more than 4 decimal places.
 * String(value) is the shortest decimal that reads back as the same double, which for a JSON number is
 * the literal the producer wrote (less trailing zeros); working on it avoids float artefacts of toFixed.
 */
export function formatKwh(value: number): string | null {
  if (!Number.isFinite(value)) return null;
  const text = String(value);
  if (text.includes('e')) {
    // Exponent form only appears below 1e-6 (too many decimals unless zero) or from 1e21 up (integers).
    if (text.includes('e-')) return null;
    return `${BigInt(value).toString()}.0000`;
  }
  const dot = text.indexOf('.');
  if (dot === -1) return `${text}.0000`;
  const decimals = text.length - dot - 1;
  if (decimals > KWH_DECIMALS) return null;
  return text + '0'.repeat(KWH_DECIMALS - decimals);
}

/**
 * Integer units (0.0001 kWh) of a decimal kWh text such as the database returns ('12.3400', '-0.5', '7').
 * Throws RangeError on anything else, on more than 4 decimals, or beyond the safe integer range.
 */
export function kwhToUnits(kwh: string | number): number {
  if (typeof kwh === 'number') {
    const text = formatKwh(kwh);
    if (text === null) throw new RangeError(`kWh value ${kwh} is not finite or has more than 4 decimals`);
    kwh = text;
  }
  const match = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(kwh);
  if (match === null) throw new RangeError(`"${kwh}" is not a kWh decimal with at most 4 decimals`);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = Number(whole) * UNITS_PER_KWH + Number(fraction.padEnd(KWH_DECIMALS, '0'));
  if (!Number.isSafeInteger(units)) throw new RangeError(`kWh value ${kwh} is out of range`);
  return sign === '-' && units !== 0 ? -units : units;
}

/** The 4-decimal kWh text of an integer number of units. */
export function unitsToKwh(units: number | bigint): string {
  const big = BigInt(units);
  const negative = big < 0n;
  const magnitude = negative ? -big : big;
  const whole = magnitude / BigInt(UNITS_PER_KWH);
  const fraction = (magnitude % BigInt(UNITS_PER_KWH)).toString().padStart(KWH_DECIMALS, '0');
  return `${negative ? '-' : ''}${whole.toString()}.${fraction}`;
}
