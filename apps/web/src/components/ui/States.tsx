'use client';

import type { ReactNode } from 'react';

export function LoadingState({ label = 'Loading…', height }: { label?: string; height?: number }) {
  return (
    <div
      className="state state--loading"
      role="status"
      aria-live="polite"
      style={height ? { minHeight: height } : undefined}
    >
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorState({
  title = 'This could not be loaded',
  error,
  onRetry,
}: {
  title?: string;
  error: { message: string };
  onRetry?: () => void;
}) {
  return (
    <div className="state state--error" role="alert">
      <p className="state__title">{title}</p>
      <p className="state__detail">{error.message}</p>
      {onRetry ? (
        <button type="button" className="button button--small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  height,
}: {
  title: string;
  children?: ReactNode;
  height?: number;
}) {
  return (
    <div className="state state--empty" style={height ? { minHeight: height } : undefined}>
      <p className="state__title">{title}</p>
      {children ? <p className="state__detail">{children}</p> : null}
    </div>
  );
}

interface QueryLike<T> {
  data: T | undefined;
  error: { message: string } | null;
  isPending: boolean;
  refetch: () => unknown;
}

/**
 * Loading, error and empty states around a query's content, the same on every card. Once data is
 * there, a failed background refresh keeps showing it with a notice instead of blanking the card.
 */
export function QueryView<T>({
  query,
  loadingLabel,
  isEmpty,
  empty,
  height,
  children,
}: {
  query: QueryLike<T>;
  loadingLabel?: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  /** Keeps the card's height while loading, so the page does not jump. */
  height?: number;
  children: (data: T) => ReactNode;
}) {
  if (query.data === undefined) {
    if (query.error) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
    return <LoadingState label={loadingLabel} height={height} />;
  }
  const content = isEmpty?.(query.data) ? empty : children(query.data);
  return (
    <>
      {query.error ? (
        <p className="stale-notice" role="status">
          Refresh failed ({query.error.message}); showing the previous result.
        </p>
      ) : null}
      {content}
    </>
  );
}
