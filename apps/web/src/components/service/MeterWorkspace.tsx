'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { AggregateBadge, ArchivedNote } from '../ui/Badges';
import { Panel } from '../ui/Panel';
import { Stat, StatGrid } from '../ui/Stat';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../ui/States';
import { formatCount, formatDecimal, formatKey, formatUtc } from '../../lib/format';
import { formatLocalInterval, formatLongDay, zoneLabel } from '../../lib/local-time';
import { addDays, daySchema } from '../../lib/ops-params';
import { useUrlState } from '../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import { CorrectionPanel } from './CorrectionPanel';
import { FlagTags, ReadingQuality } from './ReadingBadges';
import { RevisionHistory } from './RevisionHistory';

type DayData = RouterOutputs['service']['day'];
export type ServiceInterval = DayData['intervals'][number];

const parseState = (params: URLSearchParams) => {
  const interval = params.get('interval');
  const at = interval === null ? Number.NaN : Date.parse(interval);
  return {
    day: daySchema.safeParse(params.get('day')).data ?? null,
    interval: Number.isNaN(at) ? null : new Date(at).toISOString(),
  };
};

/** One meter for an agent: its days, the intervals of one with their quality, corrections and history. */
export function MeterWorkspace({ meterId }: { meterId: string }) {
  const trpc = useTRPC();
  const [state, setState] = useUrlState(parseState);
  const meter = useQuery(trpc.service.meter.queryOptions({ meterId }));

  if (meter.data === undefined) {
    return meter.error ? (
      <ErrorState
        title={`Meter ${meterId} cannot be shown`}
        error={meter.error}
        onRetry={() => void meter.refetch()}
      />
    ) : (
      <LoadingState label="Loading the meter…" height={420} />
    );
  }
  const info = meter.data;
  const day = state.day ?? info.lastDay ?? new Date().toISOString().slice(0, 10);

  return (
    <div className="dashboard">
      <dl className="facts" aria-label="Meter and customer">
        <div>
          <dt>Customer</dt>
          <dd>
            {info.customer.name} <span className="mono muted">{info.customer.id}</span>
          </dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd className="mono">{info.customer.email ?? '–'}</dd>
        </div>
        <div>
          <dt>Region</dt>
          <dd>
            {formatKey(info.region)}, {info.segment}
          </dd>
        </div>
        <div>
          <dt>Tariff</dt>
          <dd className="mono">{info.tariffId}</dd>
        </div>
        <div>
          <dt>Intervals</dt>
          <dd>
            {info.intervalMinutes} min, {info.timeZone}
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            {info.status}
            {info.removedAt ? `, removed ${formatUtc(info.removedAt, { seconds: false })}` : ''}
          </dd>
        </div>
      </dl>
      <DayPicker
        key={day}
        day={day}
        firstDay={info.firstDay}
        lastDay={info.lastDay}
        onChange={(next) => setState({ day: next, interval: null })}
      />
      <DayView
        meterId={meterId}
        day={day}
        selected={state.interval}
        onSelect={(interval) => setState({ day, interval })}
      />
    </div>
  );
}

function DayPicker({
  day,
  firstDay,
  lastDay,
  onChange,
}: {
  day: string;
  firstDay: string | null;
  lastDay: string | null;
  onChange: (day: string) => void;
}) {
  const [typed, setTyped] = useState(day);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!daySchema.safeParse(typed).success) return setProblem('Enter a day as YYYY-MM-DD.');
    setProblem(null);
    onChange(typed);
  };
  return (
    <div className="toolbar">
      <form className="toolbar__group" onSubmit={submit} aria-label="Day shown">
        <div className="control">
          <label htmlFor="meter-day">Day (meter’s local day)</label>
          <input
            id="meter-day"
            type="date"
            value={typed}
            onChange={(event) => setTyped(event.target.value)}
            aria-invalid={problem !== null}
            aria-describedby={problem ? 'meter-day-problem' : undefined}
          />
        </div>
        <button type="submit" className="button button--small">
          Show
        </button>
        <div className="day-steps" role="group" aria-label="Step the day">
          <button type="button" className="button button--small" onClick={() => onChange(addDays(day, -1))}>
            ← Previous day
          </button>
          <button type="button" className="button button--small" onClick={() => onChange(addDays(day, 1))}>
            Next day →
          </button>
        </div>
        {problem ? (
          <p id="meter-day-problem" className="control__error" role="alert">
            {problem}
          </p>
        ) : null}
      </form>
      <p className="toolbar__meta">
        {firstDay && lastDay ? `Data from ${firstDay} to ${lastDay}` : 'No data received yet'}
      </p>
    </div>
  );
}

function DayView({
  meterId,
  day,
  selected,
  onSelect,
}: {
  meterId: string;
  day: string;
  selected: string | null;
  onSelect: (interval: string | null) => void;
}) {
  const trpc = useTRPC();
  const dayQuery = useQuery(
    trpc.service.day.queryOptions({ meterId, day }, { placeholderData: keepPreviousData }),
  );
  const data = dayQuery.data?.day === day ? dayQuery.data : undefined;
  const selectedInterval =
    data?.intervals.find((interval) => interval.intervalStart.toISOString() === selected) ?? null;

  return (
    <QueryView query={{ ...dayQuery, data }} loadingLabel="Reading the intervals…" height={420}>
      {(loaded) => (
        <>
          <ArchivedNote
            months={loaded.archivedMonths}
            explain={(months) => `Intervals and revisions of ${months} are read from the long-term archive.`}
          />
          <DaySummary data={loaded} />
          <div className="grid-2 grid-2--wide-first grid-2--top">
            <IntervalTable data={loaded} selected={selected} onSelect={onSelect} />
            <div className="stack">
              {selectedInterval ? (
                <CorrectionPanel
                  key={selectedInterval.intervalStart.toISOString()}
                  meterId={meterId}
                  day={day}
                  timeZone={loaded.timeZone}
                  intervalMinutes={loaded.intervalMinutes}
                  interval={selectedInterval}
                  onClose={() => onSelect(null)}
                />
              ) : (
                <Panel title="Correct a reading" name="correction">
                  <p className="muted small">
                    Choose “Correct” on an interval to change its value. Every change needs a reason and is
                    kept in the revision history.
                  </p>
                </Panel>
              )}
              <RevisionHistory
                meterId={meterId}
                day={day}
                timeZone={loaded.timeZone}
                intervalMinutes={loaded.intervalMinutes}
              />
            </div>
          </div>
        </>
      )}
    </QueryView>
  );
}

function DaySummary({ data }: { data: DayData }) {
  const present = data.intervals.filter((interval) => interval.kwh !== null);
  const flagged = present.filter((interval) => interval.flags.length > 0).length;
  const estimated = present.filter((interval) => interval.quality === 'estimated').length;
  const edited = present.filter((interval) => interval.quality === 'edited').length;
  const aggregate = data.aggregate;
  return (
    <StatGrid label={`Summary of ${data.day}`}>
      <Stat
        name="day-kwh"
        label={formatLongDay(data.day)}
        value={aggregate ? `${formatDecimal(aggregate.kwh)} kWh` : '–'}
        detail={
          aggregate ? (
            <>
              <AggregateBadge status={aggregate.status} computedAt={aggregate.computedAt} />{' '}
              {aggregate.status === 'final' && aggregate.finalizedAt
                ? `finalized ${formatUtc(aggregate.finalizedAt, { seconds: false })}`
                : `computed ${formatUtc(aggregate.computedAt, { seconds: false })}`}
            </>
          ) : (
            'No aggregate for this day yet'
          )
        }
      />
      <Stat
        name="intervals"
        label="Intervals"
        value={`${formatCount(present.length)} of ${formatCount(data.intervals.length)}`}
        detail={`${formatCount(data.intervals.length - present.length)} missing`}
        tone={present.length === data.intervals.length ? 'good' : 'warn'}
      />
      <Stat
        name="estimated"
        label="Estimated / edited"
        value={`${formatCount(estimated)} / ${formatCount(edited)}`}
        detail="Estimated by the batch layer; edited by an agent"
      />
      <Stat
        name="flagged"
        label="Flagged"
        value={formatCount(flagged)}
        detail={flagged > 0 ? 'Soft-rule flags awaiting review' : 'Nothing to review'}
        tone={flagged > 0 ? 'warn' : 'neutral'}
      />
    </StatGrid>
  );
}

function IntervalTable({
  data,
  selected,
  onSelect,
}: {
  data: DayData;
  selected: string | null;
  onSelect: (interval: string) => void;
}) {
  if (data.intervals.length === 0) return <EmptyState title="This meter expects no intervals on this day" />;
  return (
    <Panel
      title="Intervals"
      description={`Times are the meter’s local time (${zoneLabel(data.timeZone)}, ${data.timeZone}); hover a time for UTC.`}
      name="intervals"
    >
      <div className="table-scroll table-scroll--tall">
        <table className="table table--compact" data-table="intervals">
          <caption className="visually-hidden">
            Intervals of {data.meterId} on {data.day}
          </caption>
          <thead>
            <tr>
              <th scope="col">Interval</th>
              <th scope="col" className="num">
                kWh
              </th>
              <th scope="col">Quality</th>
              <th scope="col">Flags</th>
              <th scope="col" className="num">
                Version
              </th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.intervals.map((interval) => {
              const start = interval.intervalStart.toISOString();
              const isSelected = start === selected;
              const label = formatLocalInterval(interval.intervalStart, data.intervalMinutes, data.timeZone);
              return (
                <tr
                  key={start}
                  className={
                    isSelected ? 'row--selected' : interval.flags.length > 0 ? 'row--flagged' : undefined
                  }
                  data-interval={start}
                  aria-selected={isSelected || undefined}
                >
                  <th scope="row" title={`${formatUtc(interval.intervalStart, { seconds: false })}`}>
                    {label}
                  </th>
                  <td className="num">
                    {interval.kwh === null ? (
                      <span className="muted">missing</span>
                    ) : (
                      formatDecimal(interval.kwh)
                    )}
                  </td>
                  <td>
                    <ReadingQuality quality={interval.quality} method={interval.estimationMethod} />
                  </td>
                  <td>
                    <FlagTags flags={interval.flags} />
                  </td>
                  <td className="num">
                    {interval.version ?? '–'}
                    {interval.revisions > 0 ? (
                      <span className="muted"> ({interval.revisions} rev.)</span>
                    ) : null}
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button--small"
                      aria-pressed={isSelected}
                      aria-label={`Correct ${label}`}
                      onClick={() => onSelect(start)}
                    >
                      Correct
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="footnote">
        <Link href="/service/review">Review queue</Link>: every flagged reading of the fleet.
      </p>
    </Panel>
  );
}
