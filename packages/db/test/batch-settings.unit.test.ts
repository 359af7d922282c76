import { defaultEstimationParams } from '@meterops/domain/estimation';
import { defaultVeeParams } from '@meterops/domain/vee';
import { describe, expect, it } from 'vitest';
import { batchSettingNames, defaultBatchSettings, resolveBatchSettings } from '../src/queries/vee';

describe('batch settings', () => {
  it('default to the domain defaults of the VEE rules and of estimation', () => {
    expect(resolveBatchSettings()).toEqual({ ...defaultVeeParams, ...defaultEstimationParams });
    expect(defaultBatchSettings.maxInterpolationMinutes).toBe(120);
    expect(defaultBatchSettings.likeDayWeeks).toBe(4);
  });

  it('name every parameter the rules and estimation read', () => {
    expect(batchSettingNames.toSorted()).toEqual(
      [...Object.keys(defaultVeeParams), ...Object.keys(defaultEstimationParams)].sort(),
    );
  });

  it('take overrides', () => {
    expect(resolveBatchSettings({ spikeRatio: 20, likeDayWeeks: 2 })).toMatchObject({
      spikeRatio: 20,
      likeDayWeeks: 2,
    });
  });

  it.each([
    ['spikeRatio', 1],
    ['lowFactor', 1.5],
    ['likeDayWeeks', 0],
    ['likeDayWeeks', 1.5],
    ['maxInterpolationMinutes', -15],
    ['maxInterpolationMinutes', 2000],
  ])('refuse %s = %s, naming it', (name, value) => {
    expect(() => resolveBatchSettings({ [name]: value })).toThrow(name);
  });

  it('refuse a parameter nobody reads', () => {
    expect(() => resolveBatchSettings({ colour: 3 } as never)).toThrow(/colour/);
  });
});
