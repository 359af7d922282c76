import { describe, expect, it } from 'vitest';
import {
  estimateLagTrend,
  evaluatePartition,
  lagSlope,
  type CommitSample,
  type LagSample,
} from '../src/consumer-status';

const now = Date.parse('2026-11-20T12:00:00Z');
const windowMs = 5 * 60_000;

/** Lag samples every 30 s ending now, with the given offsets. */
function lag(...offsets: number[]): LagSample[] {
  return offsets.map((value, index) => ({
    time: now - (offsets.length - 1 - index) * 30_000,
    offsets: value,
  }));
}

function commits(...entries: [secondsAgo: number, offset: number][]): CommitSample[] {
  return entries.map(([secondsAgo, offset]) => ({ time: now - secondsAgo * 1000, offset }));
}

describe('evaluatePartition (Burrow rules)', () => {
  it('is OK when the partition is caught up', () => {
    expect(
      evaluatePartition({ now, windowMs, lag: lag(40, 10, 0), commits: commits([10, 500]) }).status,
    ).toBe('OK');
  });

  it('is OK when the lag was zero at some point in the window, even if it is not now', () => {
    const verdict = evaluatePartition({
      now,
      windowMs,
      lag: lag(0, 5, 9, 12),
      commits: commits([200, 90], [5, 100]),
    });
    expect(verdict.status).toBe('OK');
  });

  it('is OK while lag exists but falls and offsets move', () => {
    const verdict = evaluatePartition({
      now,
      windowMs,
      lag: lag(900, 700, 720, 400),
      commits: commits([280, 1000], [5, 1500]),
    });
    expect(verdict).toEqual({ status: 'OK', reason: 'Consuming the backlog.' });
  });

  it('warns when the lag keeps growing although offsets move', () => {
    const verdict = evaluatePartition({
      now,
      windowMs,
      lag: lag(100, 150, 150, 260),
      commits: commits([280, 1000], [5, 1100]),
    });
    expect(verdict.status).toBe('WARN');
    expect(verdict.reason).toBe('Lag grew from 100 to 260 offsets without falling once.');
  });

  it('does not warn about a lag that stays flat', () => {
    const verdict = evaluatePartition({
      now,
      windowMs,
      lag: lag(50, 50, 50),
      commits: commits([280, 1000], [5, 1100]),
    });
    expect(verdict.status).toBe('OK');
  });

  it('reports a stall when commits continue but the offset does not move', () => {
    const verdict = evaluatePartition({
      now,
      windowMs,
      lag: lag(10, 12, 15),
      commits: commits([400, 700], [100, 700], [3, 700]),
    });
    expect(verdict.status).toBe('STALL');
    expect(verdict.reason).toBe('Commits continue, but the offset has stayed at 700.');
  });

  it('reports a stop when nothing was committed for the whole window while lag exists', () => {
    const verdict = evaluatePartition({ now, windowMs, lag: lag(10, 30, 80), commits: commits([420, 700]) });
    expect(verdict.status).toBe('STOP');
    expect(verdict.reason).toBe('Lag, and no offset committed for 7 min.');
  });

  it('reports a stop when lag exists and the group never committed', () => {
    expect(evaluatePartition({ now, windowMs, lag: lag(5, 5), commits: [] }).status).toBe('STOP');
  });

  it('checks STOP before STALL and STALL before WARN, as Burrow does', () => {
    // Growing lag and an offset that did not move, but the last commit is older than the window.
    const stopped = evaluatePartition({
      now,
      windowMs,
      lag: lag(1, 2, 3),
      commits: commits([900, 5], [600, 5]),
    });
    expect(stopped.status).toBe('STOP');
    const stalled = evaluatePartition({
      now,
      windowMs,
      lag: lag(1, 2, 3),
      commits: commits([900, 5], [10, 5]),
    });
    expect(stalled.status).toBe('STALL');
  });

  it('is UNKNOWN when no lag was reported in the window', () => {
    const verdict = evaluatePartition({ now, windowMs, lag: [], commits: commits([10, 5]) });
    expect(verdict).toEqual({ status: 'UNKNOWN', reason: 'No lag reported in the last 5 min.' });
  });
});

describe('lag trend', () => {
  it('fits the slope of lag over time in offsets per second', () => {
    expect(lagSlope(lag(0, 30, 60, 90))).toBeCloseTo(1);
    expect(lagSlope(lag(90, 60, 30, 0))).toBeCloseTo(-1);
    expect(lagSlope(lag(7))).toBe(0);
  });

  it('estimates the time to catch up from the falling total over all partitions', () => {
    // Two partitions falling by 1 and 2 offsets per second, 300 + 600 offsets left.
    const estimate = estimateLagTrend([lag(390, 360, 330, 300), lag(780, 720, 660, 600)], windowMs);
    expect(estimate.trend).toBe('shrinking');
    expect(estimate.offsetsPerSecond).toBeCloseTo(-3);
    expect(estimate.catchUpSeconds).toBeCloseTo(300);
  });

  it('calls a rising total growing, with no time to catch up', () => {
    const estimate = estimateLagTrend([lag(100, 160, 220, 280)], windowMs);
    expect(estimate).toMatchObject({ trend: 'growing', catchUpSeconds: null });
  });

  it('calls a change under 5 % of the lag over the window steady', () => {
    // +0.01 offsets/s over 300 s = 3 offsets on a lag of 1000.
    const estimate = estimateLagTrend(
      [
        [
          { time: now - 300_000, offsets: 1000 },
          { time: now, offsets: 1003 },
        ],
      ],
      windowMs,
    );
    expect(estimate).toMatchObject({ trend: 'steady', catchUpSeconds: null });
  });

  it('has nothing to catch up when every partition is at zero', () => {
    expect(estimateLagTrend([lag(0, 0), lag(3, 0)], windowMs)).toMatchObject({
      trend: 'steady',
      catchUpSeconds: 0,
    });
  });
});
