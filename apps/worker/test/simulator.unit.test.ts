import { kwhToUnits, unitsToKwh } from '@meterops/domain/kwh';
import { describe, expect, it } from 'vitest';
import { liveMessages, planSimulation } from '../src/simulator/plan';

const endDay = '2026-11-10';

describe('planSimulation', () => {
  it('is deterministic for a seed', () => {
    const first = planSimulation({ meters: 12, days: 2, endDay, seed: 3 });
    const second = planSimulation({ meters: 12, days: 2, endDay, seed: 3 });
    expect([...first.messages()]).toEqual([...second.messages()]);
    expect(first.manifest).toEqual(second.manifest);
  });

  it('sends one daily profile per active meter and day, with every interval of the local day', () => {
    const { manifest, messages } = planSimulation({ meters: 12, days: 2, endDay, seed: 3 });
    const sent = [...messages()];
    // Meter 8 of every 50 is removed, so 11 of the 12 report.
    expect(sent).toHaveLength(11 * 2);
    const first = JSON.parse(sent[0]?.value ?? '{}') as {
      meterId: string;
      readings: { intervalStart: string }[];
    };
    expect(first.meterId).toBe('MTR-000001');
    expect([48, 96]).toContain(first.readings.length);
    expect(manifest.expected.storedReadings).toBe(manifest.sent.readings);
    expect(manifest.expected.duplicateReadings).toBe(0);
    expect(manifest.expected.rejectedByRule).toEqual({});
  });

  it('totals the expected kWh exactly from the per-meter sums', () => {
    const { manifest } = planSimulation({ meters: 30, days: 1, endDay, seed: 4 });
    const sum = Object.values(manifest.expected.kwhByMeter).reduce(
      (total, kwh) => total + kwhToUnits(kwh),
      0,
    );
    expect(unitsToKwh(sum)).toBe(manifest.expected.totalKwh);
  });

  it('expects a duplicate day to be counted as duplicates, not stored twice', () => {
    const { manifest } = planSimulation({
      meters: 30,
      days: 1,
      endDay,
      seed: 5,
      faults: ['duplicate'],
      faultRate: 1,
    });
    expect(manifest.expected.duplicateReadings).toBe(manifest.expected.storedReadings);
    expect(manifest.sent.readings).toBe(2 * manifest.expected.storedReadings);
  });

  it('expects a resend to revise exactly the corrected interval, 0.1234 kWh higher', () => {
    const { manifest, messages } = planSimulation({
      meters: 3,
      days: 1,
      endDay,
      seed: 6,
      faults: ['resend'],
      faultRate: 1,
    });
    expect(manifest.expected.revisions).toBe(manifest.faults.length);
    const fault = manifest.faults[0];
    const bodies = [...messages()]
      .map(
        (message) =>
          JSON.parse(message.value) as {
            meterId: string;
            readings: { intervalStart: string; kwh: number }[];
          },
      )
      .filter((body) => body.meterId === fault?.meterId);
    const values = bodies.map(
      (body) => body.readings.find((reading) => reading.intervalStart === fault?.intervalStart)?.kwh ?? NaN,
    );
    expect(values).toHaveLength(2);
    expect(kwhToUnits(values[1] ?? 0) - kwhToUnits(values[0] ?? 0)).toBe(1234);
  });

  it('expects a gap to leave its intervals missing', () => {
    const { manifest } = planSimulation({
      meters: 5,
      days: 1,
      endDay,
      seed: 7,
      faults: ['gap'],
      faultRate: 1,
    });
    const missing = manifest.faults.reduce((total, fault) => total + fault.readings, 0);
    expect(manifest.sent.readings).toBe(manifest.expected.storedReadings);
    expect(missing).toBeGreaterThanOrEqual(4 * 12);
  });
});

describe('liveMessages', () => {
  it('sends each interval that ended in the window once, with the same value when sent again', () => {
    const window = {
      meters: 3,
      fromMs: Date.parse('2026-11-10T10:00:00Z'),
      toMs: Date.parse('2026-11-10T11:00:00Z'),
    };
    const first = [...liveMessages(window)];
    const again = [...liveMessages(window)];
    expect(first).toEqual(again);
    const starts = first.map(
      (message) =>
        (JSON.parse(message.value) as { readings: { intervalStart: string }[] }).readings[0]?.intervalStart,
    );
    expect(new Set(starts).size).toBeLessThanOrEqual(4);
    expect(starts).toContain('2026-11-10T10:00:00.000Z');
    expect(starts).not.toContain('2026-11-10T11:00:00.000Z');
  });
});
