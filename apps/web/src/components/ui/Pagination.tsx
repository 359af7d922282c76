'use client';

import { formatCount } from '../../lib/format';

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  label,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  /** What is paged, e.g. "rejected readings". */
  label: string;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pagination" aria-label={`Pages of ${label}`}>
      <p className="pagination__summary" aria-live="polite">
        {total === 0
          ? `No ${label}`
          : `${formatCount(first)}–${formatCount(last)} of ${formatCount(total)} ${label}`}
      </p>
      <div className="pagination__buttons">
        <button
          type="button"
          className="button button--small"
          disabled={page <= 1}
          onClick={() => onPage(page - 1)}
        >
          Previous
        </button>
        <span className="pagination__page">
          Page {formatCount(Math.min(page, pages))} of {formatCount(pages)}
        </span>
        <button
          type="button"
          className="button button--small"
          disabled={page >= pages}
          onClick={() => onPage(page + 1)}
        >
          Next
        </button>
      </div>
    </nav>
  );
}
