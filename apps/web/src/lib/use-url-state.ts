'use client';

import { usePathname, useSearchParams } from 'next/navigation';
import { useCallback, useMemo, useState } from 'react';

/**
 * Page state kept in the URL's query string, so a filtered view can be bookmarked, shared and reloaded.
 * Updates use `history.replaceState`, which Next.js folds into `useSearchParams` without a server round
 * trip, and filter changes do not pile up in the back button's history. A local copy answers at once, so
 * a control never shows the old value while the router catches up; navigation (back, a link) replaces it.
 */
export function useUrlState<T>(
  parse: (params: URLSearchParams) => T,
): [T, (patch: Record<string, string | null>) => void] {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const fromUrl = searchParams.toString();
  const [query, setQuery] = useState(fromUrl);
  const [seenUrl, setSeenUrl] = useState(fromUrl);
  if (fromUrl !== seenUrl) {
    // The address changed under us (navigation, or our own update arriving): follow it.
    setSeenUrl(fromUrl);
    setQuery(fromUrl);
  }
  const value = useMemo(() => parse(new URLSearchParams(query)), [parse, query]);
  const update = useCallback(
    (patch: Record<string, string | null>) => {
      const next = new URLSearchParams(query);
      for (const [key, entry] of Object.entries(patch)) {
        if (entry === null || entry === '') next.delete(key);
        else next.set(key, entry);
      }
      const nextQuery = next.toString();
      setQuery(nextQuery);
      window.history.replaceState(null, '', nextQuery ? `${pathname}?${nextQuery}` : pathname);
    },
    [pathname, query],
  );
  return [value, update];
}
