/**
 * Alerting against the real stack: rules read real InfluxDB and Postgres, a real consumer stops and
 * restarts, e-mail goes to a real SMTP server (aiosmtpd). Evaluations are triggered by calling
 * `evaluateAlerts`, never by waiting for the worker's timer.
 */
import { addDays } from '@meterops/domain/time';
import { finalizeDay } from '@meterops/db/queries/batch';
import { createWebhookEndpoint, listWebhookDeliveries } from '@meterops/db/queries/webhooks';
import { createSilence, listAlerts, saveAlertChannel, updateAlertRule } from '@meterops/db/queries/alerting';
import { createInfluxQuery } from '@meterops/metrics/query';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts, sendAlertEmails } from '../src/alerting/service';
import type { AlertSources } from '../src/alerting/rules';
import { env } from '../src/env';
import { createLagProbe, createProducer } from '../src/kafka';
import { WebhookDispatcher } from '../src/webhooks/dispatcher';
import { createMeters, dayOf, insertReadings, type TestMeter } from './batch-support';
import {
  createTestDatabase,
  createTestTopics,
  kafka,
  silentLog,
  startIngest,
  testMetrics,
  waitForCaughtUp,
  type TestDatabase,
} from './harness';
import { startSmtpSink, type SmtpSink } from './smtp-sink';
import { startWebhookReceiver } from './webhook-receiver';

const influx = createInfluxQuery({ url: env.INFLUX_URL, database: env.INFLUX_DB });
const baseUrl = 'https://ops.example.test';
const today = new Date().toISOString().slice(0, 10);
/** Three days ago: its D+1 deadline has passed, its D+5 deadline has not. */
const day = addDays(today, -3);

let database: TestDatabase;
let smtp: SmtpSink;
const cleanups: (() => Promise<unknown>)[] = [];

const mailer = (port: number) =>
  createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5_000 });

beforeAll(async () => {
  // CREATE DATABASE is idempotent; the worker's metrics writer does not create it.
  await influx.query(`CREATE DATABASE "${env.INFLUX_DB}"`);
  database = await createTestDatabase();
  smtp = await startSmtpSink();
  await saveAlertChannel(database.sql, {
    name: 'ops mail',
    kind: 'email',
    enabled: true,
    emailTo: ['ops@example.test'],
    webhookEndpointId: null,
    ruleIds: [],
    minSeverity: 'warning',
    sendResolved: true,
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await smtp?.stop();
  await database?.drop();
});

async function outbox(alertId: number) {
  return database.sql<{ event: string; status: string; attempts: number; lastError: string | null }[]>`
    select event, status, attempts, last_error as "lastError" from alert_notifications
    where alert_id = ${alertId} order by id`;
}

describe('completeness alerts', () => {
  const meters: TestMeter[] = [
    { id: 'MTR-200001', region: 'north' },
    { id: 'MTR-200002', region: 'north' },
    { id: 'MTR-200003', region: 'east' },
    { id: 'MTR-200004', region: 'south' },
  ];

  beforeAll(async () => {
    const { sql } = database;
    await createMeters(sql, meters);
    const [north1, north2, east, south] = meters as [TestMeter, TestMeter, TestMeter, TestMeter];
    // north: one meter complete, the other lost the second half of the day → 144 of 192 = 75.0 %.
    await insertReadings(sql, dayOf(north1, day, '0.1000'));
    // east: its last hour lost (a trailing gap is not interpolated) → 92 of 96 = 95.8 %.
    const lostHalf = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [48 + i, null]));
    await insertReadings(sql, dayOf(north2, day, '0.1000', lostHalf));
    await insertReadings(sql, dayOf(east, day, '0.1000', { 92: null, 93: null, 94: null, 95: null }));
    await insertReadings(sql, dayOf(south, day, '0.1000'));
    await finalizeDay(sql, { day, actor: 'job:test' });
  });

  it('fires for a region whose readings are missing at D+1, e-mails the subject and the link, and sends nothing for a silenced subject', async () => {
    const { sql, db } = database;
    const silence = await createSilence(sql, {
      ruleId: null,
      subject: `east ${day}`,
      startsAt: new Date(Date.now() - 60_000),
      endsAt: new Date(Date.now() + 3_600_000),
      reason: 'meter exchange in east',
      actor: 'test',
    });
    const sources: AlertSources = { db, sql, influx };

    const [outcome] = await evaluateAlerts(sources, { ruleIds: ['completeness-d1'] });
    expect(outcome?.error).toBeUndefined();
    const transitions = [...(outcome?.transitions ?? [])].sort((a, b) => a.subject.localeCompare(b.subject));
    expect(
      transitions.map(({ subject, event, silencedBy, notifications }) => ({
        subject,
        event,
        silencedBy,
        notifications,
      })),
    ).toEqual([
      { subject: `east ${day}`, event: 'fired', silencedBy: silence.id, notifications: 0 },
      { subject: `north ${day}`, event: 'fired', silencedBy: null, notifications: 1 },
    ]);

    const firing = await listAlerts(sql, { view: 'firing', ruleId: 'completeness-d1' });
    const north = firing.find((alert) => alert.subject === `north ${day}`);
    expect(north).toMatchObject({
      state: 'firing',
      severity: 'warning',
      summary: `Region north completeness 75.0 % < 99.8 % (D+1) on ${day}`,
      value: 75,
      threshold: 99.8,
      link: `/ops/completeness?from=${addDays(day, -6)}&to=${day}&region=north&day=${day}`,
    });
    expect(firing.find((alert) => alert.subject === `east ${day}`)?.summary).toBe(
      `Region east completeness 95.8 % < 99.8 % (D+1) on ${day}`,
    );
    expect(firing.some((alert) => alert.subject.startsWith('south'))).toBe(false);

    // Evaluating again while it holds keeps the one alert and queues nothing more.
    const [again] = await evaluateAlerts(sources, { ruleIds: ['completeness-d1'] });
    expect(again?.transitions).toEqual([]);

    const sent = await sendAlertEmails(sql, {
      transport: mailer(smtp.port),
      from: 'alerts@example.test',
      publicBaseUrl: baseUrl,
    });
    expect(sent).toBe(1);
    const mail = await smtp.messages();
    expect(mail).toHaveLength(1);
    expect(mail[0]?.headers.subject).toBe(
      `[FIRING] Region north completeness 75.0 % < 99.8 % (D+1) on ${day}`,
    );
    expect(mail[0]?.headers.to).toBe('ops@example.test');
    expect(mail[0]?.body).toContain(
      `See the problem: ${baseUrl}/ops/completeness?from=${addDays(day, -6)}&to=${day}&region=north&day=${day}`,
    );
    expect(await outbox(north?.id ?? -1)).toEqual([
      { event: 'fired', status: 'sent', attempts: 1, lastError: null },
    ]);
    // Nothing is queued or sent for the silenced alert.
    const east = firing.find((alert) => alert.subject === `east ${day}`);
    expect(east?.silencedBy).toBe(silence.id);
    expect(await outbox(east?.id ?? -1)).toEqual([]);
  });

  it('judges a day only from its deadline on, and fires once when two workers evaluate at the same time', async () => {
    const sources: AlertSources = { db: database.db, sql: database.sql, influx };
    // D+5 has not passed for a day three days old.
    const [early] = await evaluateAlerts(sources, { ruleIds: ['completeness-d5'] });
    expect(early).toEqual({ ruleId: 'completeness-d5', transitions: [] });
    // Five days later it has; two processes evaluate at once, and each alert fires once.
    const later = new Date(Date.now() + 5 * 86_400_000);
    const both = await Promise.all([
      evaluateAlerts(sources, { ruleIds: ['completeness-d5'], now: later }),
      evaluateAlerts(sources, { ruleIds: ['completeness-d5'], now: later }),
    ]);
    const fired = both
      .flat()
      .flatMap((outcome) => outcome.transitions ?? [])
      .filter((transition) => transition.event === 'fired')
      .map((transition) => transition.subject)
      .sort();
    expect(fired).toEqual([`east ${day}`, `north ${day}`]);
    const [open] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from alerts where rule_id = 'completeness-d5' and state <> 'resolved'`;
    expect(open?.n).toBe(2);
  });

  it('retries an e-mail the SMTP server did not take, and keeps the error', async () => {
    const { sql } = database;
    const [d5] = await listAlerts(sql, { view: 'firing', ruleId: 'completeness-d5', subject: 'north' });
    expect(d5).toBeDefined();
    const sent = await sendAlertEmails(sql, {
      transport: createTransport({ host: '127.0.0.1', port: 9, connectionTimeout: 2_000 }),
      from: 'alerts@example.test',
      publicBaseUrl: baseUrl,
    });
    expect(sent).toBe(0);
    const [row] = await outbox(d5?.id ?? -1);
    expect(row).toMatchObject({ event: 'fired', status: 'pending', attempts: 1 });
    expect(row?.lastError).toMatch(/ECONNREFUSED|connect/i);
    // Due again (the retry delay is over): the real server takes it, and east's D+5 alert beside it.
    await sql`update alert_notifications set next_attempt_at = now() where status = 'pending'`;
    expect(
      await sendAlertEmails(sql, {
        transport: mailer(smtp.port),
        from: 'alerts@example.test',
        publicBaseUrl: baseUrl,
      }),
    ).toBe(2);
    expect(await outbox(d5?.id ?? -1)).toEqual([
      { event: 'fired', status: 'sent', attempts: 2, lastError: null },
    ]);
    const subjects = (await smtp.messages()).map((mail) => mail.headers.subject);
    expect(subjects).toContain(`[FIRING] Region north completeness 75.0 % < 99.8 % (D+5) on ${day}`);
  });
});

describe('consumer STOP alert', () => {
  it('fires when the worker stops with lag behind it, and resolves once a restarted worker catches up', async () => {
    const { sql, db } = database;
    const topics = await createTestTopics(1);
    const metrics = testMetrics();
    cleanups.push(() => metrics.close());
    const producer = await createProducer(kafka);
    cleanups.push(() => producer.stop());
    const send = (count: number) =>
      producer.send(
        topics.topic,
        Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: '{"not":"a reading"}' })),
      );
    await updateAlertRule(sql, {
      id: 'consumer-stop',
      enabled: true,
      severity: 'critical',
      forSeconds: 0,
      clearSeconds: 0,
      params: { status: 'STOP', windowSeconds: 3 },
      actor: 'test',
    });
    const lag = createLagProbe(kafka, topics.groupId, topics.topic);
    cleanups.push(() => lag.stop());
    const sources: AlertSources = {
      db,
      sql,
      influx,
      consumer: { groupId: topics.groupId, topic: topics.topic, lag },
    };
    const subject = `${topics.groupId}/${topics.topic}/0`;
    const alertOf = async () =>
      (await listAlerts(sql, { view: 'all', ruleId: 'consumer-stop', subject: topics.groupId }))[0] ?? null;

    const first = await startIngest(database, topics, { metrics });
    await send(5);
    await waitForCaughtUp(topics);
    await first.stop();
    await metrics.flush();
    await send(5);

    // Evaluated until the window (3 s) has passed without a commit: each poll is one evaluation.
    await expect
      .poll(
        async () => {
          const [outcome] = await evaluateAlerts(sources, { ruleIds: ['consumer-stop'] });
          if (outcome?.error) throw new Error(outcome.error);
          return (await alertOf())?.state ?? null;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('firing');
    const fired = await alertOf();
    expect(fired).toMatchObject({ subject, severity: 'critical', value: 5, link: '/ops/pipeline?range=1h' });
    expect(fired?.summary).toMatch(
      new RegExp(
        `^Partition 0 of ${topics.topic} \\(${topics.groupId}\\) is STOP: Lag, and no offset committed for \\d+ s\\.$`,
      ),
    );
    expect(await outbox(fired?.id ?? -1)).toEqual([
      { event: 'fired', status: 'pending', attempts: 0, lastError: null },
    ]);

    const second = await startIngest(database, topics, { metrics });
    cleanups.push(() => second.stop());
    await waitForCaughtUp(topics);
    await expect
      .poll(
        async () => {
          await metrics.flush();
          await evaluateAlerts(sources, { ruleIds: ['consumer-stop'] });
          return (await alertOf())?.state ?? null;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe('resolved');
    const resolved = await alertOf();
    expect(resolved?.id).toBe(fired?.id);
    expect(await outbox(fired?.id ?? -1)).toEqual([
      { event: 'fired', status: 'pending', attempts: 0, lastError: null },
      { event: 'resolved', status: 'pending', attempts: 0, lastError: null },
    ]);
    const sent = await sendAlertEmails(sql, {
      transport: mailer(smtp.port),
      from: 'alerts@example.test',
      publicBaseUrl: baseUrl,
    });
    expect(sent).toBe(2);
    const subjects = (await smtp.messages()).map((mail) => mail.headers.subject ?? '');
    expect(
      subjects
        .filter((line) => line.includes(topics.topic))
        .map((line) => line.slice(0, line.indexOf(']') + 1)),
    ).toEqual(['[FIRING]', '[RESOLVED]']);
  });
});

describe('webhook channel', () => {
  it('sends a rule alert through the platform webhooks, signed and retried when the endpoint fails', async () => {
    const { sql, db } = database;
    const receiver = await startWebhookReceiver();
    cleanups.push(() => receiver.close());
    const { endpoint } = await createWebhookEndpoint(sql, {
      url: `${receiver.origin}/alerts`,
      description: 'pager bridge',
      eventTypes: ['alert.fired', 'alert.resolved'],
      filter: { regions: [], segments: [], meterIds: [] },
      createdBy: 'it',
    });
    await saveAlertChannel(sql, {
      name: 'pager',
      kind: 'webhook',
      enabled: true,
      emailTo: [],
      webhookEndpointId: endpoint.id,
      ruleIds: ['rejects'],
      minSeverity: 'warning',
      sendResolved: true,
    });
    await updateAlertRule(sql, {
      id: 'rejects',
      enabled: true,
      severity: 'warning',
      forSeconds: 0,
      clearSeconds: 0,
      params: { windowMinutes: 60, maxCount: 3, usualFactor: 10, usualMinCount: 20, baselineDays: 7 },
      actor: 'test',
    });
    // Only this test's rejects count (the STOP test's messages were rejected too).
    await sql`delete from rejected_readings`;
    await sql`
      insert into rejected_readings (topic, partition, kafka_offset, item_index, rule, detail, payload)
      select 'it.alerting', 0, n, 0, 'negative_value', 'kWh below zero', '{}' from generate_series(1, 5) n`;

    const [outcome] = await evaluateAlerts({ db, sql, influx }, { ruleIds: ['rejects'] });
    expect(
      outcome?.transitions?.map(({ subject, event, notifications }) => ({ subject, event, notifications })),
    ).toEqual([
      // the webhook, and the e-mail channel that takes every rule
      { subject: 'negative_value', event: 'fired', notifications: 2 },
    ]);

    receiver.script('/alerts', [500]);
    const dispatcher = new WebhookDispatcher({
      sql,
      log: silentLog,
      workerId: 'it-alerting',
      policy: { allowHttp: true, allowPrivateNetworks: true },
      timeoutMs: 5_000,
      concurrency: 2,
      pollIntervalMs: 60_000,
      retryDelaysMs: [0, 0],
      random: () => 0.5,
    });
    expect(await dispatcher.dispatchDue()).toBe(2);
    expect(receiver.received.map((hit) => hit.answered)).toEqual([500, 200]);
    const body = JSON.parse(receiver.received[1]?.body ?? '{}') as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(body.type).toBe('alert.fired');
    expect(body.data).toMatchObject({
      rule: 'rejects',
      severity: 'warning',
      subject: 'negative_value',
      summary: 'Rule negative_value rejected 5 in 60 min (usually 0.0, limit 3)',
      value: 5,
      threshold: 3,
      link: '/ops/rejects?rule=negative_value',
    });
    expect(receiver.received[1]?.headers['webhook-signature']).toMatch(/^v1,/);
    const deliveries = await listWebhookDeliveries(sql, { endpointId: endpoint.id, limit: 10 });
    expect(deliveries.map((delivery) => [delivery.status, delivery.attempts])).toEqual([['succeeded', 2]]);
  });
});
