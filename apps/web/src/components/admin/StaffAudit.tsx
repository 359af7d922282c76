'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { auditTargetLabels, staffActionLabels, type AuditFilter } from '../../lib/audit-params';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { useUrlState } from '../../lib/use-url-state';
import { useTRPC } from '../../trpc/client';

type Filters = Omit<AuditFilter, 'beforeId'>;
const filterKeys = ['action', 'actor', 'targetType', 'targetId', 'from', 'to'] as const;

function parseFilters(params: URLSearchParams): Filters {
  const filters: Record<string, string> = {};
  for (const key of filterKeys) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  // The server validates; a hand-edited URL with a bad value shows its error beside the field.
  return filters;
}

/** The staff audit trail, newest first, with filters kept in the URL. */
export function StaffAudit() {
  const trpc = useTRPC();
  const [filters, setFilters] = useUrlState(parseFilters);
  const [before, setBefore] = useState<number[]>([]);
  const cursor = before.at(-1);
  const records = useQuery(
    trpc.audit.list.queryOptions(
      { ...filters, ...(cursor === undefined ? {} : { beforeId: cursor }) },
      { placeholderData: keepPreviousData, retry: false },
    ),
  );
  const problem = records.isError ? describeProblem(records.error) : null;
  return (
    <div className="dashboard">
      <AuditFilters
        key={JSON.stringify(filters)}
        filters={filters}
        problem={problem}
        onApply={(next) => {
          setBefore([]);
          setFilters(Object.fromEntries(filterKeys.map((key) => [key, next[key] ?? null])));
        }}
      />
      <Panel title="Records" description="Newest first. Times are UTC." name="staff-audit">
        <QueryView
          query={records}
          loadingLabel="Loading the audit trail…"
          isEmpty={(data) => data.records.length === 0}
          empty={<EmptyState title="No record matches">Change or clear the filters.</EmptyState>}
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="staff-audit">
                  <caption className="visually-hidden">Staff audit records</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">What</th>
                      <th scope="col">Target</th>
                      <th scope="col">Details</th>
                      <th scope="col">From</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.records.map((record) => (
                      <tr key={record.id} data-record={record.id} data-action={record.action}>
                        <td className="small-cell">{formatUtc(record.at)}</td>
                        <td>{record.actor}</td>
                        <th scope="row">
                          {staffActionLabels[record.action as keyof typeof staffActionLabels] ??
                            record.action}
                        </th>
                        <td className="small-cell">
                          {auditTargetLabels[record.targetType as keyof typeof auditTargetLabels] ??
                            record.targetType}{' '}
                          <code>{record.targetId ?? '–'}</code>
                        </td>
                        <td className="small-cell">
                          <code>{JSON.stringify(record.details)}</code>
                        </td>
                        <td className="small-cell">{record.clientAddress ?? 'command line'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav className="pagination" aria-label="Pages of audit records">
                <p className="pagination__summary">
                  {before.length === 0 ? 'Newest records' : `Older records, page ${before.length + 1}`}
                </p>
                <div className="pagination__buttons">
                  <button
                    type="button"
                    className="button button--small"
                    disabled={before.length === 0}
                    onClick={() => setBefore((pages) => pages.slice(0, -1))}
                  >
                    Newer
                  </button>
                  <button
                    type="button"
                    className="button button--small"
                    disabled={data.records.length < data.pageSize}
                    onClick={() => {
                      const last = data.records.at(-1);
                      if (last) setBefore((pages) => [...pages, last.id]);
                    }}
                  >
                    Older
                  </button>
                </div>
              </nav>
            </>
          )}
        </QueryView>
      </Panel>
    </div>
  );
}

function AuditFilters({
  filters,
  problem,
  onApply,
}: {
  filters: Filters;
  problem: ReturnType<typeof describeProblem> | null;
  onApply: (filters: Partial<Record<(typeof filterKeys)[number], string>>) => void;
}) {
  const [draft, setDraft] = useState<Partial<Record<(typeof filterKeys)[number], string>>>(filters);
  const set = (key: (typeof filterKeys)[number]) => (value: string) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply(draft);
  };
  const error = (field: string) => fieldMessage(problem, field);
  const text = (key: 'actor' | 'targetId' | 'from' | 'to', label: string, type: 'text' | 'date') => (
    <div className="control">
      <label htmlFor={`audit-${key}`}>{label}</label>
      <input
        id={`audit-${key}`}
        type={type}
        value={draft[key] ?? ''}
        onChange={(event) => set(key)(event.target.value)}
        aria-invalid={error(key) ? true : undefined}
        aria-describedby={error(key) ? `audit-${key}-error` : undefined}
      />
      {error(key) ? (
        <p id={`audit-${key}-error`} className="control__error">
          {error(key)}
        </p>
      ) : null}
    </div>
  );
  return (
    <form className="filters" onSubmit={submit} aria-label="Filter the audit trail">
      <div className="control">
        <label htmlFor="audit-action">Action</label>
        <select
          id="audit-action"
          value={draft.action ?? ''}
          onChange={(event) => set('action')(event.target.value)}
        >
          <option value="">Every action</option>
          {Object.entries(staffActionLabels).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {text('actor', 'Who (email)', 'text')}
      <div className="control">
        <label htmlFor="audit-targetType">Target</label>
        <select
          id="audit-targetType"
          value={draft.targetType ?? ''}
          onChange={(event) => set('targetType')(event.target.value)}
        >
          <option value="">Any target</option>
          {Object.entries(auditTargetLabels).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {text('targetId', 'Target id', 'text')}
      {text('from', 'From', 'date')}
      {text('to', 'To', 'date')}
      <div className="filters__buttons">
        <button type="submit" className="button button--primary">
          Apply
        </button>
        <button type="button" className="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
      {problem && Object.keys(problem.fieldErrors).length === 0 ? (
        <p className="form__error filters__problem" role="alert">
          {problem.message}
        </p>
      ) : null}
    </form>
  );
}
