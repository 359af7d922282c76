/**
 * npm run bench:forecast -- [--meters 2000] [--weeks 10] [--holdout-weeks 4] [--end-day 2026-11-29] [--seed 1]
 *
 * Backtest of the forecaster (runBacktest): simulates the fleet with weather in memory, holds out the last
 * weeks, forecasts each held-out day from the days before it and prints the mean absolute percentage error
 * per level. Deterministic for its options: the same command prints the same figures on any machine.
 * The weather of the held-out days is the simulated series itself, i.e. a perfect weather forecast; see
 * docs/forecasting.md. The last line is the summary the issue asks for.
 */
import { parseArgs } from 'node:util';
import { runBacktest } from '../src/forecast/backtest';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '2000' },
    weeks: { type: 'string', default: '10' },
    'holdout-weeks': { type: 'string', default: '4' },
    'end-day': { type: 'string', default: '2026-11-29' },
    seed: { type: 'string', default: '1' },
  },
});
const say = (line: string) => console.log(`[bench:forecast] ${line}`);
const started = performance.now();
let lastStep = '';
const result = runBacktest({
  meters: Number(values.meters),
  weeks: Number(values.weeks),
  holdoutWeeks: Number(values['holdout-weeks']),
  endDay: values['end-day'],
  seed: Number(values.seed),
  onProgress: (step, done, total) => {
    if (step !== lastStep || done === total || done % 10 === 0) say(`${step} ${done}/${total}`);
    lastStep = step;
  },
});
const pct = (value: number) => value.toFixed(2);
say(
  `${result.meters} active meters, ${result.days.first} … ${result.days.last}, last ${result.days.heldOut} days held out` +
    ` (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
say(
  `region half-hour, day-ahead:          MAPE ${pct(result.mape.regionDayAhead)} % over ${result.compared.regionHalfHours} values`,
);
say(`region half-hour, week-ahead:         MAPE ${pct(result.mape.regionWeekAhead)} %`);
say(
  `region × segment half-hour, day-ahead: MAPE ${pct(result.mape.regionSegmentDayAhead)} % over ${result.compared.regionSegmentHalfHours} values`,
);
say(
  `meter day, day-ahead:                 MAPE ${pct(result.mape.meterDayAhead)} % over ${result.compared.meterDays} values`,
);
say(`meter day, week-ahead:                MAPE ${pct(result.mape.meterWeekAhead)} %`);
console.log(
  `forecast: region day-ahead MAPE ${pct(result.mape.regionDayAhead)} %, meter day MAPE ${pct(result.mape.meterDayAhead)} %`,
);
