/** What a supervisor, the status page and the pipeline page need to know about one worker's ingest. */
export type IngestState = 'starting' | 'consuming' | 'paused' | 'restarting' | 'stopping';

export interface IngestHealthSnapshot {
  state: IngestState;
  /** Why ingest waits, and since when; null while it consumes. */
  paused: { reason: string; sinceMs: number } | null;
  /** Whether the consumer has joined its group at least once since it was (re)started. */
  joined: boolean;
  partitions: number[];
  lastBatchAtMs: number | null;
  lastBatchAgeMs: number | null;
  lastFetchAtMs: number | null;
  consumerRestarts: number;
  startedAtMs: number;
}

/**
 * The ingest service's state, kept by the service and read by the health endpoints and the reports.
 * Pure bookkeeping: the decisions (pause, restart) are the service's.
 */
export class IngestHealth {
  private state: IngestState = 'starting';
  private pausedWith: { reason: string; sinceMs: number } | null = null;
  private hasJoined = false;
  private partitions: number[] = [];
  private lastBatchAtMs: number | null = null;
  private lastFetchAtMs: number | null = null;
  private restarts = 0;
  /** Batches being handled now: the consumer does not fetch for its partitions meanwhile. */
  private inFlight = 0;
  private readonly startedAtMs = Date.now();

  constructor(
    private readonly options: {
      watchdogMs: number;
      /**
       * A consumer that has not fetched for this long counts as paused on the brokers (kafkajs fetches
       * several times a second while they answer), well before the watchdog replaces it.
       */
      fetchStaleMs?: number;
    },
  ) {}

  /** Why ingest waits: what the service said, or else a broker that has not answered for a while. */
  private pausedAt(nowMs: number): { reason: string; sinceMs: number } | null {
    if (this.pausedWith) return this.pausedWith;
    const staleMs = this.options.fetchStaleMs ?? 15_000;
    if (this.state !== 'consuming' || !this.hasJoined || this.lastFetchAtMs === null || this.inFlight > 0)
      return null;
    const silence = nowMs - this.lastFetchAtMs;
    return silence > staleMs
      ? {
          reason: `kafka: no fetch from the brokers for ${Math.round(silence / 1000)} s`,
          sinceMs: this.lastFetchAtMs,
        }
      : null;
  }

  get paused(): boolean {
    return this.pausedWith !== null;
  }

  setState(state: IngestState): void {
    this.state = state;
    if (state === 'starting') {
      this.hasJoined = false;
      this.lastFetchAtMs = null;
    }
  }

  joined(partitions: number[]): void {
    this.hasJoined = true;
    this.partitions = partitions;
    this.lastFetchAtMs = Date.now();
    this.consuming();
  }

  fetched(): void {
    this.lastFetchAtMs = Date.now();
    if (this.state === 'restarting' && this.pausedWith?.reason.startsWith('kafka')) this.resume();
  }

  consuming(): void {
    if (this.state === 'stopping') return;
    if (this.pausedWith === null) this.state = 'consuming';
  }

  /** A batch is being handled; until it ends, not fetching is the consumer's normal state. */
  batchStarted(): void {
    this.inFlight += 1;
  }

  /** The batch ended (committed, sought or failed); a delivered batch is as good as a fetch. */
  batchEnded(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.lastFetchAtMs = Date.now();
  }

  batchCommitted(): void {
    this.lastBatchAtMs = Date.now();
  }

  pause(reason: string, state: IngestState = 'paused'): void {
    if (this.state === 'stopping') return;
    this.pausedWith = { reason, sinceMs: this.pausedWith?.sinceMs ?? Date.now() };
    this.state = state;
  }

  resume(): void {
    this.pausedWith = null;
    if (this.state !== 'stopping') this.state = 'consuming';
  }

  consumerRestarted(): void {
    this.restarts += 1;
  }

  /**
   * How long a consumer that should be fetching has not, when longer than the watchdog allows; null when
   * all is well or the silence is explained (paused for the infrastructure, starting, stopping).
   */
  stuckFor(nowMs: number): number | null {
    if (this.state !== 'consuming' || this.pausedWith !== null) return null;
    const since = this.lastFetchAtMs ?? this.startedAtMs;
    const silence = nowMs - since;
    return silence > this.options.watchdogMs ? silence : null;
  }

  /** Ready: joined the group, fetching, not paused. */
  ready(nowMs: number): boolean {
    return this.hasJoined && this.state === 'consuming' && this.pausedAt(nowMs) === null;
  }

  snapshot(nowMs: number): IngestHealthSnapshot {
    const paused = this.pausedAt(nowMs);
    return {
      state: paused && this.state === 'consuming' ? 'paused' : this.state,
      paused,
      joined: this.hasJoined,
      partitions: this.partitions,
      lastBatchAtMs: this.lastBatchAtMs,
      lastBatchAgeMs: this.lastBatchAtMs === null ? null : nowMs - this.lastBatchAtMs,
      lastFetchAtMs: this.lastFetchAtMs,
      consumerRestarts: this.restarts,
      startedAtMs: this.startedAtMs,
    };
  }
}
