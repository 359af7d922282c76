import { describe, expect, it } from 'vitest';
import {
  formatPercent,
  notificationSubject,
  parseRuleParams,
  routes,
  silenceFor,
  stepAlert,
  type LifecycleEvent,
  type OpenAlertState,
} from '../src/alerting';

const MIN = 60_000;

/** Runs a sequence of (minute, holds) observations and returns the event of each step. */
function run(steps: readonly [number, boolean][], forMs: number, clearMs: number) {
  let open: OpenAlertState | null = null;
  const events: LifecycleEvent[] = [];
  for (const [minute, holds] of steps) {
    const result = stepAlert(open, { holds, now: minute * MIN, forMs, clearMs });
    open = result.next;
    events.push(result.event);
  }
  return { events, open };
}

describe('stepAlert', () => {
  it('fires at once when the rule has no duration', () => {
    expect(stepAlert(null, { holds: true, now: 5, forMs: 0, clearMs: 0 })).toEqual({
      next: { state: 'firing', pendingSince: 5, firedAt: 5, clearingSince: null },
      event: 'fired',
    });
  });

  it('waits pending for the rule duration, then fires once and stays one alert while it holds', () => {
    const { events, open } = run(
      [
        [0, true],
        [1, true],
        [2, true],
        [3, true],
        [4, true],
      ],
      2 * MIN,
      MIN,
    );
    expect(events).toEqual(['pending', null, 'fired', null, null]);
    expect(open).toEqual({ state: 'firing', pendingSince: 0, firedAt: 2 * MIN, clearingSince: null });
  });

  it('discards a pending alert whose condition clears before the duration', () => {
    const { events, open } = run(
      [
        [0, true],
        [1, false],
        [2, true],
      ],
      2 * MIN,
      MIN,
    );
    expect(events).toEqual(['pending', 'discarded', 'pending']);
    expect(open?.pendingSince).toBe(2 * MIN);
  });

  it('keeps one alert through flapping shorter than the clear duration, and resolves after it', () => {
    const { events } = run(
      [
        [0, true],
        [1, false],
        [2, true],
        [3, false],
        [4, false],
        [5, false],
        [6, true],
      ],
      0,
      2 * MIN,
    );
    // fired once; the clears at 1 and 3 are shorter than 2 min; clear from 3 to 5 resolves; 6 fires anew.
    expect(events).toEqual(['fired', null, null, null, null, 'resolved', 'fired']);
  });

  it('restarts the clear duration when the condition returns', () => {
    let open: OpenAlertState | null = stepAlert(null, { holds: true, now: 0, forMs: 0, clearMs: 5 }).next;
    open = stepAlert(open, { holds: false, now: 10, forMs: 0, clearMs: 5 }).next;
    expect(open?.clearingSince).toBe(10);
    open = stepAlert(open, { holds: true, now: 12, forMs: 0, clearMs: 5 }).next;
    expect(open?.clearingSince).toBeNull();
    expect(stepAlert(open, { holds: false, now: 14, forMs: 0, clearMs: 5 }).event).toBeNull();
  });

  it('resolves on the first clear evaluation when the clear duration is zero', () => {
    const open: OpenAlertState = { state: 'firing', pendingSince: 0, firedAt: 0, clearingSince: null };
    expect(stepAlert(open, { holds: false, now: 1, forMs: 0, clearMs: 0 })).toEqual({
      next: null,
      event: 'resolved',
    });
  });
});

describe('silenceFor', () => {
  const silences = [
    { id: 1, ruleId: 'consumer-stop', subject: null, startsAt: 100, endsAt: 200 },
    { id: 2, ruleId: null, subject: 'north 2026-12-01', startsAt: 0, endsAt: 1000 },
  ];

  it('covers every subject of a rule inside the window only', () => {
    expect(silenceFor(silences, { ruleId: 'consumer-stop', subject: 'p/3', now: 150 })?.id).toBe(1);
    expect(silenceFor(silences, { ruleId: 'consumer-stop', subject: 'p/3', now: 200 })).toBeNull();
    expect(silenceFor(silences, { ruleId: 'consumer-stop', subject: 'p/3', now: 99 })).toBeNull();
  });

  it('covers a subject under every rule', () => {
    expect(silenceFor(silences, { ruleId: 'completeness-d5', subject: 'north 2026-12-01', now: 5 })?.id).toBe(
      2,
    );
    expect(
      silenceFor(silences, { ruleId: 'completeness-d5', subject: 'south 2026-12-01', now: 5 }),
    ).toBeNull();
  });
});

describe('routes', () => {
  const channel = { enabled: true, ruleIds: [], minSeverity: 'warning' as const, sendResolved: false };

  it('routes by severity and rule', () => {
    expect(routes(channel, { ruleId: 'x', severity: 'warning', event: 'fired' })).toBe(true);
    expect(routes(channel, { ruleId: 'x', severity: 'info', event: 'fired' })).toBe(false);
    expect(
      routes({ ...channel, ruleIds: ['y'] }, { ruleId: 'x', severity: 'critical', event: 'fired' }),
    ).toBe(false);
    expect(
      routes({ ...channel, enabled: false }, { ruleId: 'x', severity: 'critical', event: 'fired' }),
    ).toBe(false);
  });

  it('sends a resolution only to channels that want one', () => {
    expect(routes(channel, { ruleId: 'x', severity: 'critical', event: 'resolved' })).toBe(false);
    expect(
      routes({ ...channel, sendResolved: true }, { ruleId: 'x', severity: 'critical', event: 'resolved' }),
    ).toBe(true);
  });
});

describe('texts and defaults', () => {
  it('writes the subject line operators filter mail by', () => {
    expect(
      notificationSubject('fired', `Region north completeness ${formatPercent(97.25)} < 99.8 % (D+1)`),
    ).toBe('[FIRING] Region north completeness 97.2 % < 99.8 % (D+1)');
    expect(notificationSubject('resolved', 'Consumer stopped')).toBe('[RESOLVED] Consumer stopped');
  });

  it('never rounds a value below the target up to it', () => {
    expect(formatPercent(99.79)).toBe('99.7 %');
    expect(formatPercent(100)).toBe('100.0 %');
  });

  it('fills every threshold of a kind from its default', () => {
    expect(parseRuleParams('completeness', {})).toEqual({
      targetPercent: 99.8,
      deadline: 'D+1',
      lookbackDays: 7,
    });
    expect(() => parseRuleParams('completeness', { targetPercent: 120 })).toThrow();
  });
});
