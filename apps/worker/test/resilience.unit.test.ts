import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StaleIngestPositionError } from '@meterops/db/queries/ingest';
import { describe, expect, it, vi } from 'vitest';
import { isInfrastructureError } from '../src/ingest/errors';
import { IngestHealth } from '../src/ingest/health';
import { parseReplayFrom, replayProgress } from '../src/ingest/replay';

describe('isInfrastructureError', () => {
  it('retries what the infrastructure caused', () => {
    expect(isInfrastructureError(Object.assign(new Error('closed'), { code: 'CONNECTION_CLOSED' }))).toBe(
      true,
    );
    expect(isInfrastructureError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    // admin_shutdown, cannot_connect_now, read-only standby after a failover, deadlock
    for (const code of ['57P01', '57P03', '25006', '40P01', '08006', '53300']) {
      expect(isInfrastructureError(Object.assign(new Error(code), { code }))).toBe(true);
    }
    expect(isInfrastructureError(new StaleIngestPositionError('moved'))).toBe(true);
    expect(
      isInfrastructureError(
        new AggregateError([new Error('x'), Object.assign(new Error('y'), { code: 'ECONNRESET' })]),
      ),
    ).toBe(true);
  });

  it('quarantines what the data caused', () => {
    // invalid_parameter_value, numeric overflow, unique violation, a plain bug
    for (const code of ['22023', '22003', '23505', '42601']) {
      expect(isInfrastructureError(Object.assign(new Error(code), { code }))).toBe(false);
    }
    expect(isInfrastructureError(new RangeError('Maximum call stack size exceeded'))).toBe(false);
    expect(isInfrastructureError(null)).toBe(false);
    expect(isInfrastructureError('text')).toBe(false);
  });
});

describe('IngestHealth', () => {
  it('is ready only when joined, consuming and not paused', () => {
    const health = new IngestHealth({ watchdogMs: 60_000 });
    expect(health.ready(Date.now())).toBe(false);
    health.joined([0, 2]);
    expect(health.ready(Date.now())).toBe(true);
    health.pause('postgres: connection refused');
    expect(health.ready(Date.now())).toBe(false);
    expect(health.snapshot(Date.now())).toMatchObject({
      state: 'paused',
      paused: { reason: 'postgres: connection refused' },
    });
    health.resume();
    expect(health.ready(Date.now())).toBe(true);
    expect(health.snapshot(Date.now()).partitions).toEqual([0, 2]);
  });

  it('counts a consumer that has stopped fetching as paused on the brokers, and ready again once it fetches', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const health = new IngestHealth({ watchdogMs: 120_000, fetchStaleMs: 15_000 });
      health.joined([0]);
      vi.advanceTimersByTime(14_000);
      expect(health.ready(Date.now())).toBe(true);
      vi.advanceTimersByTime(2_000);
      expect(health.ready(Date.now())).toBe(false);
      expect(health.snapshot(Date.now())).toMatchObject({
        state: 'paused',
        paused: { reason: 'kafka: no fetch from the brokers for 16 s', sinceMs: 0 },
      });
      // Not yet a reason to replace the consumer: that is the watchdog's, much later.
      expect(health.stuckFor(Date.now())).toBeNull();
      health.fetched();
      expect(health.ready(Date.now())).toBe(true);
      expect(health.snapshot(Date.now()).paused).toBeNull();
      // A long batch is not a silent broker: no fetch happens while it is handled.
      health.batchStarted();
      vi.advanceTimersByTime(30_000);
      expect(health.ready(Date.now())).toBe(true);
      health.batchEnded();
      expect(health.snapshot(Date.now()).paused).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the start of a pause while its reason changes', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const health = new IngestHealth({ watchdogMs: 60_000 });
      health.pause('postgres: refused');
      vi.advanceTimersByTime(5_000);
      health.pause('postgres: timeout');
      expect(health.snapshot(Date.now()).paused).toEqual({ reason: 'postgres: timeout', sinceMs: 1_000_000 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('calls a consumer stuck when it has not fetched for longer than the watchdog allows, unless paused', () => {
    vi.useFakeTimers({ now: 0 });
    try {
      const health = new IngestHealth({ watchdogMs: 60_000 });
      health.joined([1]);
      vi.advanceTimersByTime(59_000);
      expect(health.stuckFor(Date.now())).toBeNull();
      vi.advanceTimersByTime(2_000);
      expect(health.stuckFor(Date.now())).toBe(61_000);
      expect(health.ready(Date.now())).toBe(false);
      health.pause('postgres: down');
      expect(health.stuckFor(Date.now())).toBeNull();
      health.resume();
      health.fetched();
      expect(health.stuckFor(Date.now())).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('replay', () => {
  it('takes an offset or an instant with its offset', () => {
    expect(parseReplayFrom('0')).toEqual({ offset: 0n });
    expect(parseReplayFrom('12345')).toEqual({ offset: 12_345n });
    expect(parseReplayFrom('2026-12-01T00:00:00Z')).toEqual({ timeMs: Date.UTC(2026, 11, 1) });
    expect(parseReplayFrom('2026-12-01T01:00:00+01:00')).toEqual({ timeMs: Date.UTC(2026, 11, 1) });
    for (const bad of [
      '-1',
      '2026-12-01',
      '2026-12-01T00:00:00',
      'yesterday',
      '1e3',
      '2026-13-45T99:00:00Z',
    ]) {
      expect(() => parseReplayFrom(bad)).toThrow(/--from/);
    }
  });

  it('counts progress per partition from the stored positions', () => {
    const base = {
      id: 1,
      consumerGroup: 'g',
      topic: 't',
      requestedBy: 'x',
      requestedAt: new Date(0),
      fromSpec: '0',
      status: 'running',
      finishedAt: null,
      records: 0,
      inserted: 0,
      revised: 0,
      duplicates: 0,
      rejected: 0,
    };
    expect(
      replayProgress({
        ...base,
        partitions: [
          { partition: 0, fromOffset: 100, toOffset: 200, nextOffset: 150 },
          { partition: 1, fromOffset: 0, toOffset: 10, nextOffset: 40 },
          { partition: 2, fromOffset: 5, toOffset: 9, nextOffset: null },
        ],
      }),
    ).toEqual({ done: 60, total: 114 });
  });
});

describe('postgres.js patch', () => {
  it('is applied at install: nextWrite settles instead of throwing on a closed socket', () => {
    // The package's main entry is cjs/src/index.js; both builds sit beside it.
    const root = path.resolve(path.dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
    for (const build of ['src', 'cjs/src']) {
      const source = fs.readFileSync(path.join(root, build, 'connection.js'), 'utf8');
      expect(source).toMatch(
        /function nextWrite\(fn\) \{\s+\/\/ meterops patch[\s\S]*?if \(socket === null\)/,
      );
    }
  });
});
