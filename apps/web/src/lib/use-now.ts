'use client';

import { useEffect, useState } from 'react';

/** The current time, updated every `intervalMs`; 0 until mounted, so server and client render alike. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(0);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
