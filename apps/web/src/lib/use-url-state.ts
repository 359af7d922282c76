'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useMemo } from 'react';

/**
 * Page state kept in the URL's query string, so a filtered view can be bookmarked, shared and reloaded.
 * Updates use `history.replaceState`, which Next.js folds into `useSearchParams` without a server round
 * trip; filter changes do not pile up in the back button's history.
 */
export function useUrlState<T>(parse: (params: URLSearchParams) => T): [T, (patch: Record<string, string | null>) => void] {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const value = useMemo(() => parse(new URLSearchParams(searchParams.toString())), [parse, searchParams]);
  const update = useCallback(
    (patch: Record<string, string | null>) => {
      const next = new URLSearchParams(searchParams.toString());
      for (const [key, entry] of Object.entries(patch)) {
        if (entry === null || entry === '') next.delete(key);
        else next.set(key, entry);
      }
      const query = next.toString();
      window.history.replaceState(null, '', query ? `${pathname}?${query}` : pathname);
    },
    [pathname, searchParams],
  );
  return [value, update];
}
