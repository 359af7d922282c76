'use client';

import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Fragment, useId, useState, type FormEvent } from 'react';
import { Pagination } from '../ui/Pagination';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatCount, formatDecimal, formatKey, formatRule, formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { localDayOf } from '../../lib/local-day';
import { addDays, daysBetween } from '../../lib/ops-params';
import { daySchema, REVIEW_MAX_DAYS, softRules } from '../../lib/service-params';
import { useUrlState } from '../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import { FlagTags, ReadingQuality } from './ReadingBadges';

type Row = RouterOutputs['service']['reviewQueue']['rows'][number];
type Action = 'accept' | 'estimate';

const today = () => new Date().toISOString().slice(0, 10);

const parseState = (params: URLSearchParams) => ({
  from: daySchema.safeParse(params.get('from')).data ?? null,
  to: daySchema.safeParse(params.get('to')).data ?? null,
  rule: (softRules as readonly string[]).includes(params.get('rule') ?? '')
    ? (params.get('rule') as (typeof softRules)[number])
    : null,
  page: Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1),
});

/** Flagged readings of the fleet, with accept, correct and estimate for each. */
export function ReviewQueue() {
  const [state, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const to = state.to ?? today();
  const from =
    state.from && state.from <= to && daysBetween(state.from, to) < REVIEW_MAX_DAYS
      ? state.from
      : addDays(to, -6);
  const queue = useQuery(
    trpc.service.reviewQueue.queryOptions(
      { from, to, ...(state.rule ? { rule: state.rule } : {}), page: state.page },
      { placeholderData: keepPreviousData },
    ),
  );
  const [open, setOpen] = useState<{ key: string; action: Action } | null>(null);

  return (
    <div className="dashboard">
      <ReviewFilters
        key={`${from}/${to}`}
        from={from}
        to={to}
        onChange={(range) => setState({ ...range, page: null })}
      />
      <Panel
        title="Flagged readings"
        description="Soft VEE rules stored these readings with flags. Accept a reading as it is, correct it, or replace it with an estimate; each choice is recorded in the revision history."
        name="review"
        actions={
          <div className="control">
            <label htmlFor="review-rule">Rule</label>
            <select
              id="review-rule"
              value={state.rule ?? ''}
              onChange={(event) => setState({ rule: event.target.value || null, page: null })}
            >
              <option value="">Every rule</option>
              {softRules.map((rule) => (
                <option key={rule} value={rule}>
                  {formatRule(rule)}
                  {queue.data
                    ? ` (${formatCount(queue.data.byRule.find((entry) => entry.rule === rule)?.count ?? 0)})`
                    : ''}
                </option>
              ))}
            </select>
          </div>
        }
      >
        <QueryView
          query={queue}
          loadingLabel="Finding flagged readings…"
          isEmpty={(data) => data.rows.length === 0}
          empty={
            <EmptyState title="Nothing to review">
              No reading with interval start from {from} to {to} (UTC) carries a flag
              {state.rule ? ` for ${formatRule(state.rule)}` : ''}.
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="review">
                  <caption className="visually-hidden">
                    Flagged readings from {from} to {to}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Meter</th>
                      <th scope="col">Interval (UTC)</th>
                      <th scope="col" className="num">
                        kWh
                      </th>
                      <th scope="col">Flags</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Actions</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((row) => {
                      const key = `${row.meterId}/${row.intervalStart.toISOString()}`;
                      const day = localDayOf(row.intervalStart, row.timeZone);
                      return (
                        <Fragment key={key}>
                          <tr data-review={key}>
                            <th scope="row" className="mono">
                              {row.meterId}
                            </th>
                            <td>{formatUtc(row.intervalStart, { seconds: false })}</td>
                            <td className="num">
                              {formatDecimal(row.kwh)} <ReadingQuality quality={row.quality} method={null} />
                            </td>
                            <td>
                              <FlagTags flags={row.flags} />
                            </td>
                            <td>
                              {row.customerName} <span className="muted">{formatKey(row.region)}</span>
                            </td>
                            <td>
                              <div className="row-actions">
                                <button
                                  type="button"
                                  className="button button--small"
                                  aria-expanded={open?.key === key && open.action === 'accept'}
                                  onClick={() => setOpen({ key, action: 'accept' })}
                                >
                                  Accept
                                </button>
                                <Link
                                  className="button button--small"
                                  href={`/service/meters/${encodeURIComponent(row.meterId)}?${new URLSearchParams({ day, interval: row.intervalStart.toISOString() }).toString()}`}
                                >
                                  Correct
                                </Link>
                                <button
                                  type="button"
                                  className="button button--small"
                                  aria-expanded={open?.key === key && open.action === 'estimate'}
                                  onClick={() => setOpen({ key, action: 'estimate' })}
                                >
                                  Estimate
                                </button>
                              </div>
                            </td>
                          </tr>
                          {open?.key === key ? (
                            <tr className="row--form">
                              <td colSpan={6}>
                                <ReviewActionForm
                                  row={row}
                                  action={open.action}
                                  onDone={() => setOpen(null)}
                                />
                              </td>
                            </tr>
                          ) : null}
                        </Fragment>
                      );
                    })}
                  </tbody>
                </table>
              </div>
              <Pagination
                page={data.page}
                pageSize={data.pageSize}
                total={data.total}
                label="flagged readings"
                onPage={(page) => setState({ page: String(page) })}
              />
            </>
          )}
        </QueryView>
      </Panel>
    </div>
  );
}

function ReviewFilters({
  from,
  to,
  onChange,
}: {
  from: string;
  to: string;
  onChange: (range: { from: string; to: string }) => void;
}) {
  const [typedFrom, setFrom] = useState(from);
  const [typedTo, setTo] = useState(to);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!daySchema.safeParse(typedFrom).success || !daySchema.safeParse(typedTo).success)
      return setProblem('Enter both days.');
    if (typedFrom > typedTo) return setProblem('The range must not end before it starts.');
    if (daysBetween(typedFrom, typedTo) >= REVIEW_MAX_DAYS)
      return setProblem(`At most ${REVIEW_MAX_DAYS} days.`);
    setProblem(null);
    onChange({ from: typedFrom, to: typedTo });
  };
  return (
    <form className="toolbar__group" onSubmit={submit} aria-label="Interval days (UTC)">
      <div className="control">
        <label htmlFor="review-from">From (UTC)</label>
        <input
          id="review-from"
          type="date"
          value={typedFrom}
          onChange={(event) => setFrom(event.target.value)}
          aria-invalid={problem !== null}
        />
      </div>
      <div className="control">
        <label htmlFor="review-to">To (UTC)</label>
        <input
          id="review-to"
          type="date"
          value={typedTo}
          onChange={(event) => setTo(event.target.value)}
          aria-invalid={problem !== null}
        />
      </div>
      <button type="submit" className="button button--small">
        Show
      </button>
      {problem ? (
        <p className="control__error" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}

const actionText: Record<Action, { title: string; button: string; hint: string }> = {
  accept: {
    title: 'Accept as measured',
    button: 'Accept reading',
    hint: 'The value stays; the flags are cleared and your reason is recorded.',
  },
  estimate: {
    title: 'Replace with an estimate',
    button: 'Estimate reading',
    hint: 'The value is replaced by an estimate from the neighbouring readings (or like days).',
  },
};

function ReviewActionForm({ row, action, onDone }: { row: Row; action: Action; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [reason, setReason] = useState('');
  const options = {
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: trpc.service.reviewQueue.pathKey() });
      onDone();
    },
  };
  const accept = useMutation(trpc.readings.accept.mutationOptions(options));
  const estimate = useMutation(trpc.readings.estimate.mutationOptions(options));
  const mutation = action === 'accept' ? accept : estimate;
  const problem = mutation.isError ? describeProblem(mutation.error) : null;
  const reasonError = fieldMessage(problem, 'reason');
  const text = actionText[action];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    mutation.mutate({
      meterId: row.meterId,
      intervalStart: row.intervalStart,
      reason,
      expectedVersion: row.version,
    });
  };
  return (
    <form
      className="inline-form"
      onSubmit={submit}
      noValidate
      aria-label={`${text.title}: ${row.meterId} ${formatUtc(row.intervalStart, { seconds: false })}`}
    >
      <div className="field">
        <label htmlFor={`${id}-reason`}>{text.title}: reason</label>
        <textarea
          id={`${id}-reason`}
          rows={2}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={reasonError ? `${id}-error` : `${id}-hint`}
        />
        {reasonError ? (
          <p id={`${id}-error`} className="field__error">
            {reasonError}
          </p>
        ) : (
          <p id={`${id}-hint`} className="field__hint">
            {text.hint}
          </p>
        )}
      </div>
      {problem && !reasonError ? (
        <p className="form__error" role="alert">
          {problem.message}
        </p>
      ) : null}
      <div className="row-actions">
        <button type="submit" className="button button--primary button--small" disabled={mutation.isPending}>
          {mutation.isPending ? 'Saving…' : text.button}
        </button>
        <button type="button" className="button button--small button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
