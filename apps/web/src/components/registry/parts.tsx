'use client';

import { useDeferredValue, useState, type ReactNode } from 'react';
import { fieldMessage, type FormProblem } from '../../lib/form-errors';
import { formatUtc } from '../../lib/format';

/** One labelled input with its error (or hint) under it, wired for screen readers. */
export function Field({
  id,
  label,
  error,
  hint,
  wide = false,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  wide?: boolean;
  /** The control; give it `id`, and `describedBy(id, error, hint)` as aria-describedby. */
  children: ReactNode;
}) {
  return (
    <div className={wide ? 'field field--wide' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? (
        <p id={`${id}-error`} className="field__error">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className="field__hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** aria-describedby and aria-invalid for a control inside `Field`. */
export function describedBy(id: string, error: string | undefined, hint?: string) {
  return {
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  } as const;
}

/** The problem's sentence when no field shows it. */
export function FormProblemMessage({
  problem,
  errors,
}: {
  problem: FormProblem | null;
  errors: Record<string, string | undefined>;
}) {
  if (problem === null || Object.values(errors).some((message) => message !== undefined)) return null;
  return (
    <p className="form__error field--wide" role="alert">
      {problem.message}
    </p>
  );
}

/** Search text and keyset cursors of one list: the first page has no cursor. */
export function usePagedSearch() {
  const [search, setSearchText] = useState('');
  const deferred = useDeferredValue(search);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    search,
    setSearch: (value: string) => {
      setSearchText(value);
      setCursors([null]);
    },
    input: { search: deferred, cursor: cursors.at(-1) ?? null },
    page: cursors.length,
    next: (cursor: string) => setCursors((stack) => [...stack, cursor]),
    previous: () => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)),
  };
}

export function SearchBox({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <input
        id={id}
        type="search"
        placeholder={label}
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </div>
  );
}

export function PageNav({
  page,
  nextCursor,
  paging,
}: {
  page: number;
  nextCursor: string | null;
  paging: { next: (cursor: string) => void; previous: () => void };
}) {
  if (page === 1 && nextCursor === null) return null;
  return (
    <div className="row-actions">
      <button type="button" className="button button--small" disabled={page === 1} onClick={paging.previous}>
        Previous page
      </button>
      <span className="small muted">Page {page}</span>
      <button
        type="button"
        className="button button--small"
        disabled={nextCursor === null}
        onClick={() => nextCursor !== null && paging.next(nextCursor)}
      >
        Next page
      </button>
    </div>
  );
}

/** A `<input type="datetime-local">` value for an instant, read as UTC. */
export function toUtcInput(date: Date | null): string {
  return date === null ? '' : date.toISOString().slice(0, 16);
}

/** The instant a UTC datetime-local value names; null when empty. */
export function fromUtcInput(value: string): Date | null {
  if (value === '') return null;
  const date = new Date(`${value}:00Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A number typed into a form; NaN for text that is not one, so the schema answers next to the field. */
export function parseNumber(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

/** The status cell of a registry row that can be deactivated, with the row action's problem below it. */
export function DeactivationStatus({
  deactivatedAt,
  problem,
}: {
  deactivatedAt: Date | null;
  problem: FormProblem | null;
}) {
  return (
    <td>
      {deactivatedAt ? (
        <span className="badge badge--down">Deactivated {formatUtc(deactivatedAt, { seconds: false })}</span>
      ) : (
        <span className="badge badge--up">Active</span>
      )}
      {problem ? (
        <p className="field__error" role="alert">
          {fieldMessage(problem, 'id') ?? problem.message}
        </p>
      ) : null}
    </td>
  );
}

/** Edit and (while active) Deactivate for one registry row; `noun` names the row in the buttons' labels. */
export function EditDeactivateActions({
  noun,
  id,
  deactivated,
  pending,
  onEdit,
  onDeactivate,
}: {
  noun: string;
  id: string;
  deactivated: boolean;
  pending: boolean;
  onEdit: () => void;
  onDeactivate: () => void;
}) {
  return (
    <td>
      <div className="row-actions">
        <button
          type="button"
          className="button button--small"
          onClick={onEdit}
          aria-label={`Edit ${noun} ${id}`}
        >
          Edit
        </button>
        {deactivated ? null : (
          <button
            type="button"
            className="button button--small"
            disabled={pending}
            onClick={onDeactivate}
            aria-label={`Deactivate ${noun} ${id}`}
          >
            Deactivate
          </button>
        )}
      </div>
    </td>
  );
}
