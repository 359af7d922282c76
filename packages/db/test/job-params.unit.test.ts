import { describe, expect, it } from 'vitest';
import { isJobName, jobNames, parseJobParams } from '../src/queries/jobs';

describe('job arguments', () => {
  it('lists every job the worker runs', () => {
    expect(jobNames).toEqual([
      'finalize-day',
      'estimate-gaps',
      'reprocess',
      'reprocess-queue',
      'replay',
      'nightly',
      'housekeeping',
      'archive',
      'settlement-run',
      'settlement-due',
      'retention',
      'forecast',
    ]);
    expect(isJobName('finalize-day')).toBe(true);
    expect(isJobName('vacuum')).toBe(false);
  });

  it('take a settlement run type, the initial run by default', () => {
    expect(parseJobParams('settlement-run', { day: '2026-11-18', region: 'london' })).toEqual({
      day: '2026-11-18',
      region: 'london',
      runType: 'initial',
    });
    expect(() =>
      parseJobParams('settlement-run', { day: '2026-11-18', region: 'london', runType: 'r3' }),
    ).toThrow();
    expect(() => parseJobParams('settlement-run', { day: '2026-02-30', region: 'london' })).toThrow();
  });

  it('accept an offset or an instant with its offset, and optional partitions, for replay', () => {
    expect(parseJobParams('replay', { from: '0' })).toEqual({ from: '0' });
    expect(parseJobParams('replay', { from: '2026-12-01T00:00:00+01:00', partitions: [0, 3] })).toEqual({
      from: '2026-12-01T00:00:00+01:00',
      partitions: [0, 3],
    });
    for (const from of ['-5', 'yesterday', '2026-12-01', '2026-12-01T00:00:00']) {
      expect(() => parseJobParams('replay', { from })).toThrow();
    }
    expect(() => parseJobParams('replay', { from: '0', partitions: [] })).toThrow();
    expect(() => parseJobParams('replay', { from: '0', partitions: [-1] })).toThrow();
    expect(() => parseJobParams('replay', { from: '0', topic: 'other' })).toThrow();
  });

  it('keep sign-in attempts at least an hour, so the throttling window always sees them', () => {
    expect(parseJobParams('housekeeping', {})).toEqual({});
    expect(parseJobParams('housekeeping', { attemptRetentionHours: 24 })).toEqual({
      attemptRetentionHours: 24,
    });
    expect(() => parseJobParams('housekeeping', { attemptRetentionHours: 0.25 })).toThrow();
  });

  it('accept months for archive and days for retention, and refuse anything else', () => {
    expect(parseJobParams('archive', {})).toEqual({});
    expect(parseJobParams('archive', { before: '2025-01', purgeBefore: '2019-01' })).toEqual({
      before: '2025-01',
      purgeBefore: '2019-01',
    });
    expect(() => parseJobParams('archive', { before: '2025-13' })).toThrow(/a month YYYY-MM/);
    expect(() => parseJobParams('archive', { before: '2025-01-01' })).toThrow(/a month YYYY-MM/);
    expect(parseJobParams('retention', { rejectedDays: 30 })).toEqual({ rejectedDays: 30 });
    expect(() => parseJobParams('retention', { jobLogDays: 0 })).toThrow();
  });

  it('accept a day and optional meters for finalize-day and estimate-gaps', () => {
    expect(parseJobParams('finalize-day', { day: '2026-11-04' })).toEqual({ day: '2026-11-04' });
    expect(parseJobParams('estimate-gaps', { day: '2026-11-04', meterIds: ['MTR-000001'] })).toEqual({
      day: '2026-11-04',
      meterIds: ['MTR-000001'],
    });
  });

  it.each([
    ['finalize-day', {}],
    ['finalize-day', { day: '2026-11-31' }],
    ['finalize-day', { day: '04/11/2026' }],
    ['finalize-day', { day: '2026-11-04', meterIds: [] }],
    ['finalize-day', { day: '2026-11-04', force: true }],
    ['reprocess', { from: '2026-11-04', to: '2026-11-03' }],
    ['reprocess-queue', { limit: 0 }],
    ['nightly', { graceHours: -1 }],
  ] as const)('refuse %s %j', (name, params) => {
    expect(() => parseJobParams(name, params)).toThrow();
  });

  it('take no arguments for the queue and nightly runs', () => {
    expect(parseJobParams('reprocess-queue', undefined)).toEqual({});
    expect(parseJobParams('nightly', {})).toEqual({});
  });
});
