'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Pagination } from '../../../components/ui/Pagination';
import { Panel } from '../../../components/ui/Panel';
import { EmptyState, QueryView } from '../../../components/ui/States';
import { formatCount, formatRule, formatUtc } from '../../../lib/format';
import {
  meterIdSchema,
  REJECT_RESOLUTIONS,
  rejectResolutionSchema,
  REJECTS_PAGE_SIZES,
  ruleSchema,
} from '../../../lib/ops-params';
import { useUrlState } from '../../../lib/use-url-state';
import { useTRPC, type RouterOutputs } from '../../../trpc/client';
import { ResolvePanel, resolutionLabels } from './ResolvePanel';

const REFRESH_MS = 30_000;
type PageSize = (typeof REJECTS_PAGE_SIZES)[number];

/** `2026-11-20T14:05` typed in a datetime-local field, read as UTC. */
function parseUtcMinute(value: string | null): Date | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return null;
  const date = new Date(`${value}:00Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const parseState = (params: URLSearchParams) => {
  const size = Number(params.get('size'));
  return {
    rule: ruleSchema.safeParse(params.get('rule')).data ?? null,
    resolution: rejectResolutionSchema.safeParse(params.get('resolution')).data ?? null,
    meter: meterIdSchema.safeParse(params.get('meter')).data ?? null,
    from: parseUtcMinute(params.get('from')) ? params.get('from') : null,
    to: parseUtcMinute(params.get('to')) ? params.get('to') : null,
    page: Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1),
    pageSize: (REJECTS_PAGE_SIZES as readonly number[]).includes(size) ? (size as PageSize) : 50,
  };
};

type Row = RouterOutputs['rejects']['list']['rows'][number];

export function RejectsBrowser() {
  const [state, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const range = {
    ...(state.meter ? { meterId: state.meter } : {}),
    ...(state.from ? { from: parseUtcMinute(state.from) ?? undefined } : {}),
    ...(state.to ? { to: parseUtcMinute(state.to) ?? undefined } : {}),
  };
  const byRule = useQuery(
    trpc.rejects.byRule.queryOptions(range, {
      refetchInterval: REFRESH_MS,
      placeholderData: keepPreviousData,
    }),
  );
  const selection = { ...range, ...(state.rule ? { rule: state.rule } : {}) };
  const list = useQuery(
    trpc.rejects.list.queryOptions(
      {
        ...selection,
        ...(state.resolution ? { resolution: state.resolution } : {}),
        page: state.page,
        pageSize: state.pageSize,
      },
      { refetchInterval: REFRESH_MS, placeholderData: keepPreviousData },
    ),
  );
  const totalAllRules = byRule.data?.rules.reduce((sum, entry) => sum + entry.count, 0) ?? 0;

  return (
    <div className="dashboard">
      <Filters
        key={`${state.rule ?? ''}|${state.meter ?? ''}|${state.from ?? ''}|${state.to ?? ''}|${state.resolution ?? ''}`}
        state={state}
        rules={byRule.data?.rules ?? []}
        onApply={(filters) => setState({ ...filters, page: null })}
      />

      <Panel
        title="By rule"
        description="Rejections under the meter and time filters; select a rule to list only those."
        name="by-rule"
      >
        <QueryView
          query={byRule}
          loadingLabel="Counting rejections…"
          isEmpty={(data) => data.rules.length === 0}
          empty={<EmptyState title="Nothing rejected">No reading matches these filters.</EmptyState>}
        >
          {(data) => (
            <ul className="chips" aria-label="Rejections per rule">
              <li>
                <button
                  type="button"
                  className="chip"
                  aria-pressed={state.rule === null}
                  onClick={() => setState({ rule: null, page: null })}
                  data-rule="all"
                >
                  All rules <span className="chip__count">{formatCount(totalAllRules)}</span>
                </button>
              </li>
              {data.rules.map((entry) => (
                <li key={entry.rule}>
                  <button
                    type="button"
                    className="chip"
                    aria-pressed={state.rule === entry.rule}
                    onClick={() => setState({ rule: entry.rule, page: null })}
                    data-rule={entry.rule}
                  >
                    {formatRule(entry.rule)} <span className="chip__count">{formatCount(entry.count)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </Panel>

      <ResolvePanel
        key={JSON.stringify(selection)}
        selection={selection}
        resolutionFilter={state.resolution}
      />

      <Panel
        title="Quarantine"
        description="Newest first. The payload is what was rejected, as received; the Kafka position points at the whole message."
        name="rejects"
        actions={
          <div className="control">
            <label htmlFor="page-size">Per page</label>
            <select
              id="page-size"
              value={state.pageSize}
              onChange={(event) =>
                setState({ size: event.target.value === '50' ? null : event.target.value, page: null })
              }
            >
              {REJECTS_PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </div>
        }
      >
        <QueryView
          query={list}
          loadingLabel="Reading the quarantine…"
          height={320}
          isEmpty={(data) => data.total === 0}
          empty={
            <EmptyState title="No rejected readings" height={200}>
              Nothing matches these filters.
            </EmptyState>
          }
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table rejects-table" data-table="rejects">
                  <caption className="visually-hidden">Rejected readings</caption>
                  <thead>
                    <tr>
                      <th scope="col">Received (UTC)</th>
                      <th scope="col">Rule</th>
                      <th scope="col">Meter · interval</th>
                      <th scope="col">Kafka position</th>
                      <th scope="col">Detail and payload</th>
                      <th scope="col">Resolution</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((row) => (
                      <RejectRow key={row.id} row={row} />
                    ))}
                  </tbody>
                </table>
              </div>
              <Pagination
                page={data.page}
                pageSize={data.pageSize}
                total={data.total}
                label="rejected readings"
                onPage={(page) => setState({ page: page === 1 ? null : String(page) })}
              />
            </>
          )}
        </QueryView>
      </Panel>
    </div>
  );
}

function RejectRow({ row }: { row: Row }) {
  const [expanded, setExpanded] = useState(false);
  return (
    <tr data-reject={row.id} data-rule={row.rule}>
      <td className="nowrap">
        <time dateTime={row.receivedAt.toISOString()}>{formatUtc(row.receivedAt).replace(' UTC', '')}</time>
      </td>
      <td>
        <span className="rule-name">{formatRule(row.rule)}</span>
        <code className="rule-code">{row.rule}</code>
      </td>
      <td className="nowrap">
        {row.meterId ? <span className="mono">{row.meterId}</span> : <span className="muted">no meter</span>}
        {row.intervalStart ? (
          <div className="muted small">{formatUtc(row.intervalStart, { seconds: false })}</div>
        ) : null}
      </td>
      <td className="nowrap" data-cell="position">
        <span
          className="mono"
          title={`topic ${row.topic}, partition ${row.partition}, offset ${row.kafkaOffset}`}
        >
          p{row.partition} · offset {row.kafkaOffset}
        </span>
        <div className="muted small">
          {row.itemIndex < 0 ? 'whole message' : `item ${row.itemIndex}`} · {row.topic}
        </div>
      </td>
      <td className="detail-cell">
        <p className="detail">{row.detail}</p>
        <button
          type="button"
          className="link-button small"
          aria-expanded={expanded}
          onClick={() => setExpanded(!expanded)}
        >
          {expanded ? 'Hide payload' : 'Show payload'}
        </button>
        {expanded ? <pre className="payload">{prettyPayload(row.payload)}</pre> : null}
      </td>
      <td className="resolution-cell" data-cell="resolution" data-resolution={row.resolution}>
        <span className={`badge badge--resolution-${row.resolution}`}>
          {resolutionLabels[row.resolution]}
        </span>
        {row.resolvedAt ? (
          <div className="muted small">
            by {row.resolvedByName ?? row.resolvedBy ?? 'unknown'},{' '}
            <time dateTime={row.resolvedAt.toISOString()}>
              {formatUtc(row.resolvedAt, { seconds: false })}
            </time>
          </div>
        ) : null}
        {row.resolutionNote ? <p className="detail">“{row.resolutionNote}”</p> : null}
      </td>
    </tr>
  );
}

/** JSON indented for reading; anything else (a malformed message) exactly as received. */
function prettyPayload(payload: string): string {
  try {
    return JSON.stringify(JSON.parse(payload), null, 2);
  } catch {
    return payload;
  }
}

function Filters({
  state,
  rules,
  onApply,
}: {
  state: ReturnType<typeof parseState>;
  rules: readonly { rule: string; count: number }[];
  onApply: (filters: Record<string, string | null>) => void;
}) {
  const [rule, setRule] = useState(state.rule ?? '');
  const [resolution, setResolution] = useState<string>(state.resolution ?? '');
  const [meter, setMeter] = useState(state.meter ?? '');
  const [from, setFrom] = useState(state.from ?? '');
  const [to, setTo] = useState(state.to ?? '');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmedMeter = meter.trim();
    if (trimmedMeter !== '' && !meterIdSchema.safeParse(trimmedMeter).success) {
      return setProblem('A meter id has letters, digits and . _ : - only, e.g. MTR-000042.');
    }
    const fromDate = parseUtcMinute(from || null);
    const toDate = parseUtcMinute(to || null);
    if (fromDate && toDate && fromDate >= toDate)
      return setProblem('“Received to” must be after “received from”.');
    setProblem(null);
    onApply({
      rule: rule || null,
      meter: trimmedMeter || null,
      from: from || null,
      to: to || null,
      resolution: resolution || null,
    });
  };

  const ruleOptions = [
    ...new Set([...rules.map((entry) => entry.rule), ...(state.rule ? [state.rule] : [])]),
  ];
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter rejected readings">
      <div className="control">
        <label htmlFor="filter-rule">Rule</label>
        <select id="filter-rule" value={rule} onChange={(event) => setRule(event.target.value)}>
          <option value="">All rules</option>
          {ruleOptions.map((option) => (
            <option key={option} value={option}>
              {formatRule(option)}
            </option>
          ))}
        </select>
      </div>
      <div className="control">
        <label htmlFor="filter-resolution">Resolution</label>
        <select
          id="filter-resolution"
          value={resolution}
          onChange={(event) => setResolution(event.target.value)}
        >
          <option value="">Any</option>
          {REJECT_RESOLUTIONS.map((option) => (
            <option key={option} value={option}>
              {resolutionLabels[option]}
            </option>
          ))}
        </select>
      </div>
      <div className="control">
        <label htmlFor="filter-meter">Meter</label>
        <input
          id="filter-meter"
          type="search"
          placeholder="MTR-000042"
          value={meter}
          onChange={(event) => setMeter(event.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="control">
        <label htmlFor="filter-from">Received from (UTC)</label>
        <input
          id="filter-from"
          type="datetime-local"
          value={from}
          onChange={(event) => setFrom(event.target.value)}
        />
      </div>
      <div className="control">
        <label htmlFor="filter-to">Received to (UTC)</label>
        <input
          id="filter-to"
          type="datetime-local"
          value={to}
          onChange={(event) => setTo(event.target.value)}
        />
      </div>
      <div className="filters__buttons">
        <button type="submit" className="button button--primary button--small">
          Apply
        </button>
        <button
          type="button"
          className="button button--small"
          onClick={() => onApply({ rule: null, meter: null, from: null, to: null, resolution: null })}
        >
          Clear
        </button>
      </div>
      {problem ? (
        <p className="control__error filters__problem" role="alert">
          {problem}
        </p>
      ) : null}
    </form>
  );
}
