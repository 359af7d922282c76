import { describe, expect, it } from 'vitest';
import { formatKwh, kwhToUnits, unitsToKwh } from '../src/kwh';

describe('formatKwh', () => {
  it('pads numbers with at most 4 decimals to exactly 4', () => {
    expect(formatKwh(0.1234)).toBe('0.1234');
    expect(formatKwh(0.1)).toBe('0.1000');
    expect(formatKwh(7)).toBe('7.0000');
    expect(formatKwh(-0.5)).toBe('-0.5000');
    expect(formatKwh(-0)).toBe('0.0000');
    expect(formatKwh(123456.0001)).toBe('123456.0001');
    expect(formatKwh(1e21)).toBe('1000000000000000000000.0000');
  });

  it('refuses more than 4 decimals instead of rounding', () => {
    expect(formatKwh(0.12345)).toBeNull();
    expect(formatKwh(0.1 + 0.2)).toBeNull();
    expect(formatKwh(1.5e-7)).toBeNull();
  });

  it('refuses non-finite numbers', () => {
    expect(formatKwh(Number.NaN)).toBeNull();
    expect(formatKwh(Number.POSITIVE_INFINITY)).toBeNull();
  });
});

describe('kwhToUnits and unitsToKwh', () => {
  it('converts decimal text and numbers to integer units of 0.0001 kWh', () => {
    expect(kwhToUnits('12.34')).toBe(123_400);
    expect(kwhToUnits('12.3400')).toBe(123_400);
    expect(kwhToUnits('-0.5')).toBe(-5000);
    expect(kwhToUnits('7')).toBe(70_000);
    expect(kwhToUnits(0.1234)).toBe(1234);
  });

  it('refuses values it cannot represent exactly', () => {
    expect(() => kwhToUnits('1.23456')).toThrow(RangeError);
    expect(() => kwhToUnits('abc')).toThrow(RangeError);
    expect(() => kwhToUnits(0.12345)).toThrow(RangeError);
  });

  it('formats units back to 4-decimal text', () => {
    expect(unitsToKwh(123_400)).toBe('12.3400');
    expect(unitsToKwh(-5)).toBe('-0.0005');
    expect(unitsToKwh(0)).toBe('0.0000');
    expect(unitsToKwh(12_345_678_901_234_567n)).toBe('1234567890123.4567');
  });
});
