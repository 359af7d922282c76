'use client';

import { useEffect } from 'react';

export default function ErrorPage({ error, retry }: { error: unknown; retry: () => void }) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  const digest = error instanceof Error ? (error as Error & { digest?: string }).digest : undefined;
  return (
    <div className="panel panel--error" role="alert">
      <h1>Something went wrong</h1>
      <p>
        The page could not be shown. Try again; if it keeps failing, the error has been logged
        {digest ? ` as ${digest}` : ''}.
      </p>
      <button type="button" className="button" onClick={() => retry()}>
        Try again
      </button>
    </div>
  );
}
