/** What VEE needs to know about a meter; the worker builds it from the meters table and caches it. */
export interface MeterInfo {
  id: string;
  /** 15 or 30. */
  intervalMinutes: number;
  /** IANA zone; interval grid and local days are in it. */
  timeZone: string;
  /** Largest physically possible kWh in one interval. */
  maxKwhPerInterval: number;
  status: 'active' | 'inactive' | 'removed';
  installedAtMs: number;
  removedAtMs: number | null;
}

/** The meter's recent history, per interval, computed by the caller (e.g. over the last 4–8 weeks of actual readings). */
export interface Baseline {
  meanKwh: number;
  /** 95th percentile of interval kWh. */
  p95Kwh: number;
  /** Number of intervals behind the figures. */
  samples: number;
}
