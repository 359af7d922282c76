import type { TariffWindow } from './schema/meters';

/**
 * The shape of the demo and benchmark fleet. Deterministic for a given seed so tests and benchmarks
 * can state exact expectations about it.
 */
export const fleetRegions = [
  { id: 'scotland', timeZone: 'Europe/London', weight: 9 },
  { id: 'north-west', timeZone: 'Europe/London', weight: 12 },
  { id: 'north-east', timeZone: 'Europe/London', weight: 8 },
  { id: 'midlands', timeZone: 'Europe/London', weight: 16 },
  { id: 'london', timeZone: 'Europe/London', weight: 20 },
  { id: 'south-west', timeZone: 'Europe/London', weight: 10 },
  { id: 'south-east', timeZone: 'Europe/London', weight: 15 },
  { id: 'wales', timeZone: 'Europe/London', weight: 6 },
  { id: 'randstad', timeZone: 'Europe/Amsterdam', weight: 4 },
] as const;

export const fleetTariffs: {
  id: string;
  name: string;
  kind: 'flat' | 'time_of_use';
  basePricePerKwh: number;
  windows: TariffWindow[];
}[] = [
  { id: 'RES-FLAT', name: 'Residential standard (flat)', kind: 'flat', basePricePerKwh: 0.245, windows: [] },
  {
    id: 'RES-E7',
    name: 'Residential Economy 7',
    kind: 'time_of_use',
    basePricePerKwh: 0.29,
    windows: [{ name: 'night', fromHour: 0, toHour: 7, weekdays: [1, 2, 3, 4, 5, 6, 7], pricePerKwh: 0.145 }],
  },
  {
    id: 'RES-PEAK',
    name: 'Residential peak/off-peak',
    kind: 'time_of_use',
    basePricePerKwh: 0.21,
    windows: [{ name: 'peak', fromHour: 16, toHour: 19, weekdays: [1, 2, 3, 4, 5], pricePerKwh: 0.39 }],
  },
  { id: 'COM-FLAT', name: 'Commercial standard (flat)', kind: 'flat', basePricePerKwh: 0.198, windows: [] },
  {
    id: 'COM-DAYNIGHT',
    name: 'Commercial day/night',
    kind: 'time_of_use',
    basePricePerKwh: 0.221,
    windows: [{ name: 'night', fromHour: 0, toHour: 7, weekdays: [1, 2, 3, 4, 5, 6, 7], pricePerKwh: 0.131 }],
  },
];

/** Breaker limits: 100 A single phase at home, 400 A three phase for a business, at 230 V. */
export const maxKwhPerInterval = (segment: 'residential' | 'commercial', intervalMinutes: number): number => {
  const kw = segment === 'residential' ? 23 : 277;
  return Math.round(kw * (intervalMinutes / 60) * 100) / 100;
};

export const meterIdFor = (index: number): string => `MTR-${String(index + 1).padStart(6, '0')}`;
export const customerIdFor = (index: number): string => `CUS-${String(index + 1).padStart(6, '0')}`;

/** The market participants of the demo fleet; meters are spread over them by weight. */
export const fleetSuppliers = [
  { id: 'SUP-NORTHWIND', name: 'Northwind Energy', weight: 40 },
  { id: 'SUP-BRIGHTGRID', name: 'BrightGrid Power', weight: 30 },
  { id: 'SUP-GREENLEAF', name: 'Greenleaf Electric', weight: 20 },
  { id: 'SUP-CITYVOLT', name: 'CityVolt Supply', weight: 10 },
] as const;

/** A meter's supplier in the demo fleet, from its index alone (deterministic, no random draw). */
export const supplierIdFor = (index: number): string => {
  const totalWeight = fleetSuppliers.reduce((sum, supplier) => sum + supplier.weight, 0);
  // A multiplicative hash spreads neighbouring indexes over all suppliers.
  let roll = (Math.imul(index + 1, 2_654_435_761) >>> 0) % totalWeight;
  for (const supplier of fleetSuppliers) {
    roll -= supplier.weight;
    if (roll < 0) return supplier.id;
  }
  return fleetSuppliers[0].id;
};
