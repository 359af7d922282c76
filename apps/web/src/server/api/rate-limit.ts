/**
 * Requests per key per minute, counted in this server process: a fixed one-minute window per key,
 * refused with the seconds until the window ends. Sign-in throttling keeps its counts in Postgres
 * because it counts failures, which are rare; counting every API request there would cost a write per
 * request. The price: with N web processes behind a load balancer, a key gets up to N times its limit
 * (docs/api.md, "Rate limits").
 */
export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; count: number }>();

  constructor(private readonly windowMs = 60_000) {}

  /** 0 when the request may go ahead (and is counted); otherwise whole seconds to wait. */
  take(key: string, limit: number, nowMs: number): number {
    const current = this.windows.get(key);
    if (current === undefined || nowMs - current.startMs >= this.windowMs) {
      this.windows.set(key, { startMs: nowMs, count: 1 });
      if (this.windows.size > 10_000) this.prune(nowMs);
      return 0;
    }
    if (current.count >= limit)
      return Math.max(1, Math.ceil((current.startMs + this.windowMs - nowMs) / 1000));
    current.count += 1;
    return 0;
  }

  private prune(nowMs: number): void {
    for (const [key, window] of this.windows) {
      if (nowMs - window.startMs >= this.windowMs) this.windows.delete(key);
    }
  }
}
