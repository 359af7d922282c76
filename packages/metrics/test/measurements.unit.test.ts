import type { Point } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import {
  commitPoint,
  consumerLagPoint,
  ingestBatchPoint,
  jobRunPoint,
  validationPoint,
} from '../src/measurements';

const time = new Date('2026-01-15T10:00:00.123Z');
/** The line protocol the writer sends, with millisecond timestamps as on the /write?precision=ms path. */
const line = (point: Point) =>
  point.toLineProtocol({
    convertTime: (value) => (value instanceof Date ? String(value.getTime()) : undefined),
  });

describe('measurement points', () => {
  it('writes ingest_batch counts as integers and durations as floats', () => {
    const point = ingestBatchPoint({
      worker: 'worker-1',
      topic: 'meter.readings',
      records: 500,
      accepted: 480,
      duplicates: 10,
      revised: 5,
      rejected: 5,
      dbMs: 12.25,
      e2eMs: 60_000,
      kafkaLagMs: 35.5,
      time,
    });
    expect(line(point)).toBe(
      'ingest_batch,topic=meter.readings,worker=worker-1 accepted=480i,db_ms=12.25,duplicates=10i,e2e_ms=60000,kafka_lag_ms=35.5,records=500i,rejected=5i,revised=5i 1768471200123',
    );
  });

  it('leaves out a field whose value is not a finite number instead of throwing', () => {
    const point = ingestBatchPoint({
      worker: 'w',
      topic: 't',
      records: 1,
      accepted: 1,
      duplicates: 0,
      revised: 0,
      rejected: 0,
      dbMs: Number.NaN,
      kafkaLagMs: Number.POSITIVE_INFINITY,
      time,
    });
    expect(line(point)).toBe(
      'ingest_batch,topic=t,worker=w accepted=1i,duplicates=0i,records=1i,rejected=0i,revised=0i 1768471200123',
    );
  });

  it('tags consumer_lag and commit by group, topic and partition', () => {
    expect(
      line(consumerLagPoint({ group: 'g', topic: 't', partition: 3, offsets: 42, seconds: 1.5, time })),
    ).toBe('consumer_lag,group=g,partition=3,topic=t offsets=42i,seconds=1.5 1768471200123');
    expect(line(commitPoint({ group: 'g', topic: 't', partition: 0, offset: 1_234_567, time }))).toBe(
      'commit,group=g,partition=0,topic=t offset=1234567i 1768471200123',
    );
  });

  it('writes job_run and validation', () => {
    expect(
      line(jobRunPoint({ job: 'finalize-day', status: 'completed', items: 1200, durationMs: 850.5, time })),
    ).toBe('job_run,job=finalize-day,status=completed duration_ms=850.5,items=1200i 1768471200123');
    expect(line(validationPoint({ rule: 'spike', outcome: 'flagged', count: 3, time }))).toBe(
      'validation,outcome=flagged,rule=spike count=3i 1768471200123',
    );
  });

  it('escapes tag values that line protocol treats specially', () => {
    const point = validationPoint({ rule: 'high low,=x', outcome: 'rejected', count: 1, time });
    expect(line(point)).toBe('validation,outcome=rejected,rule=high\\ low\\,\\=x count=1i 1768471200123');
  });
});
