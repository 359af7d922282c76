/**
 * Sends outbound webhook deliveries (docs/webhooks.md). Publishers only write rows (publishEvent in the
 * transaction of the cause); this loop claims due deliveries with FOR UPDATE SKIP LOCKED — so any number
 * of worker processes can run it and none sends a delivery another is sending — signs each body per
 * Standard Webhooks, posts it with a timeout, logs the attempt and schedules a retry with exponential
 * backoff and jitter. It wakes on NOTIFY from a publishing commit and polls for retries that fall due.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Sql } from '@meterops/db/client';
import {
  claimWebhookDeliveries,
  nextWebhookDueAt,
  recordWebhookAttempt,
  RESPONSE_BODY_LIMIT,
  webhookDeliveryChannel,
  type AttemptOutcome,
  type ClaimedDelivery,
} from '@meterops/db/queries/webhooks';
import {
  addressProblem,
  DEFAULT_RETRY_DELAYS_MS,
  nextRetryDelayMs,
  RETRY_JITTER,
  signWebhook,
  webhookUrlProblem,
  type WebhookAddressPolicy,
} from '@meterops/domain/webhooks';
import type { Logger } from 'pino';

export interface WebhookDispatcherOptions {
  sql: Sql;
  log: Logger;
  workerId: string;
  policy: WebhookAddressPolicy;
  /** Longest one request may take, connection to end of the response. */
  timeoutMs: number;
  /** Deliveries in flight at once (each to a different endpoint). */
  concurrency: number;
  /** How often to look for retries that fell due, besides waking on NOTIFY. */
  pollIntervalMs: number;
  /** Delays before each retry; the default schedule runs over about 23 hours (tests shorten it). */
  retryDelaysMs?: readonly number[];
  /**
   * A delivery older than this fails after its next failed attempt, whatever its schedule says: after an
   * endpoint's long outage its backlog drains in order instead of each event retrying for a day.
   */
  maxAgeMs?: number;
  /** [0, 1); the retry jitter draws from it. */
  random?: () => number;
}

export function defaultMaxAgeMs(delays: readonly number[]): number {
  return Math.round(delays.reduce((sum, delay) => sum + delay, 0) * (1 + RETRY_JITTER)) + 3_600_000;
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private unlisten: (() => Promise<void>) | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private stopped = false;
  private readonly delays: readonly number[];
  private readonly maxAgeMs: number;

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.maxAgeMs = options.maxAgeMs ?? defaultMaxAgeMs(this.delays);
  }

  async start(): Promise<void> {
    const listener = await this.options.sql.listen(webhookDeliveryChannel, () => this.wake());
    this.unlisten = () => listener.unlisten();
    this.schedule(0);
    this.options.log.info(
      { concurrency: this.options.concurrency, timeoutMs: this.options.timeoutMs },
      'webhook dispatcher started',
    );
  }

  /** Stops waking and waits for the deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.unlisten?.().catch(() => {});
    await this.running?.catch(() => 0);
  }

  /** Runs a pass now, or right after the one in progress. */
  wake(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.dispatchDue()
      .catch((error: unknown) => {
        this.options.log.warn({ err: error }, 'webhook dispatch pass failed; trying again at the next poll');
        return 0;
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.wake();
        } else {
          void this.scheduleNext();
        }
      });
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    const due = await nextWebhookDueAt(this.options.sql).catch(() => null);
    const untilDue = due === null ? Infinity : Math.max(0, due.getTime() - Date.now());
    this.schedule(Math.min(untilDue, this.options.pollIntervalMs));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delayMs);
    this.timer.unref();
  }

  /**
   * Sends every delivery that is due, including those that become due as earlier ones of their endpoint
   * finish, until none is left; returns how many attempts it made. Tests call it instead of waiting.
   */
  async dispatchDue(): Promise<number> {
    let attempts = 0;
    for (;;) {
      const claimed = await claimWebhookDeliveries(this.options.sql, {
        limit: this.options.concurrency,
        leaseMs: this.options.timeoutMs + 30_000,
      });
      if (claimed.length === 0) return attempts;
      await Promise.all(claimed.map((delivery) => this.deliver(delivery)));
      attempts += claimed.length;
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const startedAt = new Date();
    const started = performance.now();
    const response = await this.post(delivery);
    const durationMs = performance.now() - started;
    const ok = response.statusCode !== null && response.statusCode >= 200 && response.statusCode < 300;
    let result: AttemptOutcome['result'];
    if (ok) result = { status: 'succeeded' };
    else {
      const delay = nextRetryDelayMs(delivery.attempt, this.delays, this.options.random);
      const expired = Date.now() - delivery.createdAt.getTime() >= this.maxAgeMs;
      result =
        delay === null || expired
          ? { status: 'failed' }
          : { status: 'pending', nextAttemptAt: new Date(Date.now() + delay) };
      this.options.log.warn(
        {
          delivery: delivery.id,
          endpoint: delivery.endpointId,
          attempt: delivery.attempt,
          statusCode: response.statusCode,
          error: response.error,
          next: result.status === 'pending' ? result.nextAttemptAt : result.status,
        },
        'webhook delivery attempt failed',
      );
    }
    await recordWebhookAttempt(this.options.sql, {
      deliveryId: delivery.id,
      attempt: delivery.attempt,
      startedAt,
      durationMs,
      statusCode: response.statusCode,
      error: response.error,
      responseBody: response.body,
      worker: this.options.workerId,
      result,
    });
  }

  private post(
    delivery: ClaimedDelivery,
  ): Promise<{ statusCode: number | null; error: string | null; body: string | null }> {
    const problem = webhookUrlProblem(delivery.url, this.options.policy);
    if (problem !== null) {
      return Promise.resolve({ statusCode: null, error: `refused: the URL ${problem}`, body: null });
    }
    const id = `evt_${delivery.eventId}`;
    const body = JSON.stringify({
      id,
      type: delivery.eventType,
      timestamp: delivery.occurredAt.toISOString(),
      data: delivery.payload,
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const url = new URL(delivery.url);
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: { statusCode: number | null; error: string | null; body: string | null }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const req = request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'MeterOps-Webhooks/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook({ id, timestamp, body, secrets: delivery.secrets }),
        },
        lookup: guardedLookup(this.options.policy),
      });
      const deadline = setTimeout(() => {
        req.destroy(new Error(`no response within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      req.on('error', (error) => finish({ statusCode: null, error: error.message, body: null }));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const text = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT);
          const status = res.statusCode ?? null;
          const redirect = status !== null && status >= 300 && status < 400;
          finish({
            statusCode: status,
            error: redirect
              ? `redirects are not followed (Location: ${String(res.headers.location ?? '')})`
              : status !== null && (status < 200 || status >= 300)
                ? `HTTP ${status}`
                : null,
            body: text === '' ? null : text,
          });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_LIMIT) chunks.push(chunk);
          size += chunk.length;
          // The log keeps the first 2 KiB; the rest of a large body is not worth reading.
          if (size >= RESPONSE_BODY_LIMIT) done();
        });
        res.on('end', done);
        res.on('error', (error) =>
          finish({ statusCode: res.statusCode ?? null, error: error.message, body: null }),
        );
      });
      req.end(body);
    });
  }
}

/**
 * A DNS lookup that refuses addresses the policy forbids, checked on the addresses the connection will
 * use, so a name that resolves (or re-resolves) to 169.254.169.254 or an internal host is not reached.
 */
export function guardedLookup(policy: WebhookAddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error !== null) {
        callback(error, '', 0);
        return;
      }
      for (const entry of addresses) {
        const problem = addressProblem(entry.address, policy);
        if (problem !== null) {
          callback(
            Object.assign(
              new Error(`refused: ${hostname} resolves to ${entry.address}, and the URL ${problem}`),
              {
                code: 'EADDRREFUSED',
              },
            ),
            '',
            0,
          );
          return;
        }
      }
      if (options.all === true) callback(null, addresses, 0);
      else {
        const first = addresses[0];
        if (first === undefined) callback(new Error(`${hostname} has no address`), '', 0);
        else callback(null, first.address, first.family);
      }
    });
  };
}
