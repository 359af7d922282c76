'use client';

import { useState, type FormEvent } from 'react';
import { addDays, daysBetween } from '../../lib/ops-params';

export type DayRange = {
  from: string;
  to: string;
};

/**
 * The day range a page shows: the one in the URL when it is valid, otherwise the last `defaultDays` days
 * up to the newest day with data (or today). Null while it is not yet known where the data ends.
 */
export function resolveDayRange(
  state: { from: string | null; to: string | null },
  lastDay: string | null | undefined,
  defaultDays: number,
  maxDays: number,
): DayRange | null {
  if (state.from && state.to && state.from <= state.to && daysBetween(state.from, state.to) < maxDays) {
    return { from: state.from, to: state.to };
  }
  if (lastDay === undefined) return null;
  const end = state.to ?? lastDay ?? new Date().toISOString().slice(0, 10);
  return { from: addDays(end, -(defaultDays - 1)), to: end };
}

const presets = [7, 14, 30, 90];

/** From and To days, applied together, and presets that end on the newest day with data. */
export function DayRangeControls({
  range,
  lastDay,
  maxDays,
  onChange,
  presetDays = presets,
}: {
  range: DayRange | null;
  lastDay: string | null;
  maxDays: number;
  onChange: (range: DayRange) => void;
  presetDays?: readonly number[];
}) {
  // Keyed by the applied range, so the fields follow it when a preset or the URL changes it.
  return (
    <DayRangeForm
      key={range ? `${range.from}/${range.to}` : 'none'}
      range={range}
      lastDay={lastDay}
      maxDays={maxDays}
      onChange={onChange}
      presetDays={presetDays.filter((days) => days <= maxDays)}
    />
  );
}

function DayRangeForm({
  range,
  lastDay,
  maxDays,
  onChange,
  presetDays,
}: {
  range: DayRange | null;
  lastDay: string | null;
  maxDays: number;
  onChange: (range: DayRange) => void;
  presetDays: readonly number[];
}) {
  const [from, setFrom] = useState(range?.from ?? '');
  const [to, setTo] = useState(range?.to ?? '');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!from || !to) return setProblem('Enter both days.');
    if (from > to) return setProblem('The range must not end before it starts.');
    if (daysBetween(from, to) >= maxDays) return setProblem(`At most ${maxDays} days.`);
    setProblem(null);
    onChange({ from, to });
  };

  const end = lastDay ?? new Date().toISOString().slice(0, 10);
  return (
    <form className="toolbar__group" onSubmit={submit} aria-label="Days shown">
      <div className="control">
        <label htmlFor="range-from">From</label>
        <input
          id="range-from"
          type="date"
          value={from}
          onChange={(event) => setFrom(event.target.value)}
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'range-problem' : undefined}
        />
      </div>
      <div className="control">
        <label htmlFor="range-to">To</label>
        <input
          id="range-to"
          type="date"
          value={to}
          onChange={(event) => setTo(event.target.value)}
          aria-invalid={problem !== null}
          aria-describedby={problem ? 'range-problem' : undefined}
        />
      </div>
      <button type="submit" className="button button--small">
        Show
      </button>
      <div
        className="preset-buttons"
        role="group"
        aria-label="Quick ranges ending on the newest day with data"
      >
        {presetDays.map((days) => {
          const preset = { from: addDays(end, -(days - 1)), to: end };
          const active = range?.from === preset.from && range.to === preset.to;
          return (
            <button
              key={days}
              type="button"
              className="button button--small button--quiet"
              aria-pressed={active}
              onClick={() => onChange(preset)}
            >
              {days} days
            </button>
          );
        })}
      </div>
      {problem ? (
        <p id="range-problem" className="control__error" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
