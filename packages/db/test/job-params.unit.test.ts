import { describe, expect, it } from 'vitest';
import { isJobName, jobNames, parseJobParams } from '../src/queries/jobs';

describe('job arguments', () => {
  it('lists every job the worker runs', () => {
    expect(jobNames).toEqual([
      'finalize-day',
      'estimate-gaps',
      'reprocess',
      'reprocess-queue',
      'nightly',
      'archive',
      'retention',
    ]);
    expect(isJobName('finalize-day')).toBe(true);
    expect(isJobName('vacuum')).toBe(false);
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
