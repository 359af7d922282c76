/**
 * What each rule kind observes, from InfluxDB and Postgres: one observation per subject (a partition, a
 * worker, a region's day, a VEE rule, a job), saying whether the condition holds and the figure behind it.
 * The lifecycle (pending, firing, resolved) is applied by `applyObservations` in @meterops/db.
 */
import {
  formatPercent,
  parseRuleParams,
  type AlertRuleKind,
  type AlertRuleParams,
} from '@meterops/domain/alerting';
import { addDays } from '@meterops/domain/time';
import type { Db, Sql } from '@meterops/db/client';
import type { AlertObservation } from '@meterops/db/queries/alerting';
import { openBillingAlertSummary } from '@meterops/db/queries/billing';
import { regionCompleteness } from '@meterops/db/queries/completeness';
import { jobHealth } from '@meterops/db/queries/jobs';
import { regionDayDeadlines } from '@meterops/db/queries/ops-completeness';
import { ingestPositions } from '@meterops/db/queries/pipeline';
import { rejectRatesByRule } from '@meterops/db/queries/rejects';
import { listWorkerHeartbeats } from '@meterops/db/queries/workers';
import { partitionId, readConsumerWindow, type PartitionKey } from '@meterops/metrics/consumer-reads';
import { judgeConsumers, statusSeverity } from '@meterops/metrics/consumer-status';
import type { InfluxQuery } from '@meterops/metrics/query';
import type { LagProbe } from '../kafka';

export interface AlertSources {
  db: Db;
  sql: Sql;
  influx: InfluxQuery;
  /**
   * This worker's consumer group. A partition whose owner stopped reports no lag, so its status would be
   * UNKNOWN; the group's lag read from Kafka stands in for the missing report, and the missing commits
   * then make it STOP.
   */
  consumer?: { groupId: string; topic: string; lag: LagProbe };
}

type Evaluator<K extends AlertRuleKind> = (
  sources: AlertSources,
  params: AlertRuleParams<K>,
  now: Date,
) => Promise<AlertObservation[]>;

const minutes = (seconds: number) =>
  seconds < 120
    ? `${Math.round(seconds)} s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)} min`
      : `${Math.round(seconds / 3600)} h`;

const consumerStatus: Evaluator<'consumer_status'> = async (sources, params, now) => {
  const windowMs = params.windowSeconds * 1000;
  const window = await readConsumerWindow(sources.influx, { now: now.getTime(), windowMs });
  const probed: PartitionKey[] = [];
  if (sources.consumer) {
    const { groupId, topic, lag } = sources.consumer;
    const reported = new Set(window.samples.filter((entry) => entry.lag.length > 0).map(partitionId));
    for (const entry of await lag.read()) {
      const key = { group: groupId, topic, partition: entry.partition };
      probed.push(key);
      if (reported.has(partitionId(key))) continue;
      window.samples.push({ ...key, lag: [{ time: now.getTime(), offsets: Number(entry.lag), seconds: 0 }] });
    }
  }
  return judgeConsumers(window, probed).map((partition) => {
    const latest = partition.lag.at(-1);
    return {
      subject: `${partition.group}/${partition.topic}/${partition.partition}`,
      holds: statusSeverity[partition.verdict.status] >= statusSeverity[params.status],
      summary: `Partition ${partition.partition} of ${partition.topic} (${partition.group}) is ${partition.verdict.status}: ${partition.verdict.reason}`,
      value: latest?.offsets ?? null,
      threshold: null,
      link: '/ops/pipeline?range=1h',
      details: {
        status: partition.verdict.status,
        reason: partition.verdict.reason,
        lastCommitAt: partition.lastCommit?.time ?? null,
      },
    };
  });
};

const freshness: Evaluator<'freshness'> = async (sources, params, now) => {
  const positions = await ingestPositions(sources.db);
  if (positions.length === 0) return [];
  const newest = Math.max(...positions.map((position) => position.updatedAt.getTime()));
  const ageSeconds = Math.max(0, (now.getTime() - newest) / 1000);
  return [
    {
      subject: 'ingest',
      holds: ageSeconds > params.maxAgeSeconds,
      summary: `No readings stored for ${minutes(ageSeconds)} (limit ${minutes(params.maxAgeSeconds)})`,
      value: Math.round(ageSeconds),
      threshold: params.maxAgeSeconds,
      link: '/ops/pipeline?range=6h',
      details: { lastStoredAt: new Date(newest).toISOString() },
    },
  ];
};

const workerNotReady: Evaluator<'worker_not_ready'> = async (sources, params) => {
  const workers = await listWorkerHeartbeats(sources.sql, { withinHours: 24 });
  return workers.map((worker) => {
    // A worker stopped on purpose (SIGTERM) says so; one that died or hangs just goes silent.
    const silent = worker.state !== 'stopped' && worker.silentSeconds > params.silentSeconds;
    const notConsuming = ['paused', 'restarting', 'starting'].includes(worker.state);
    const summary = silent
      ? `Worker ${worker.workerId} silent for ${minutes(worker.silentSeconds)} (last said ${worker.state})`
      : `Worker ${worker.workerId} ${worker.state}${worker.pausedReason ? `: ${worker.pausedReason}` : ''}`;
    return {
      subject: worker.workerId,
      holds: silent || (notConsuming && worker.state !== 'stopped'),
      summary,
      value: Math.round(worker.silentSeconds),
      threshold: params.silentSeconds,
      link: '/ops/pipeline?range=1h',
      details: { state: worker.state, host: worker.host, pid: worker.pid, group: worker.consumerGroup },
    };
  });
};

const completeness: Evaluator<'completeness'> = async (sources, params, now) => {
  const today = now.toISOString().slice(0, 10);
  const rows = await regionCompleteness(sources.sql, {
    from: addDays(today, -params.lookbackDays),
    to: today,
  });
  const observations: AlertObservation[] = [];
  for (const row of rows) {
    if (row.expected === 0) continue;
    const deadlines = await regionDayDeadlines(sources.db, { day: row.day, region: row.region });
    const deadline = params.deadline === 'D+1' ? deadlines.d1Deadline : deadlines.d5Deadline;
    // Judged from the deadline on: until then the day may still fill up.
    if (now < deadline) continue;
    const covered = row.actual + row.estimated + row.edited;
    const percent = (100 * covered) / row.expected;
    observations.push({
      subject: `${row.region} ${row.day}`,
      holds: percent < params.targetPercent,
      summary: `Region ${row.region} completeness ${formatPercent(percent)} < ${params.targetPercent} % (${params.deadline}) on ${row.day}`,
      value: percent,
      threshold: params.targetPercent,
      link: `/ops/completeness?${new URLSearchParams({ from: addDays(row.day, -6), to: row.day, region: row.region, day: row.day }).toString()}`,
      details: {
        region: row.region,
        day: row.day,
        expected: row.expected,
        actual: row.actual,
        estimated: row.estimated,
        edited: row.edited,
        missing: row.missing,
        deadline: deadline.toISOString(),
      },
    });
  }
  return observations;
};

const rejects: Evaluator<'rejects'> = async (sources, params, now) => {
  const windowMs = params.windowMinutes * 60_000;
  const baselineMs = params.baselineDays * 86_400_000;
  const windowStart = new Date(now.getTime() - windowMs);
  const rates = await rejectRatesByRule(sources.sql, {
    baselineStart: new Date(windowStart.getTime() - baselineMs),
    windowStart,
    now,
  });
  return rates.map((rate) => {
    const usual = (rate.inBaseline * windowMs) / baselineMs;
    const overLimit = rate.inWindow > params.maxCount;
    const farAboveUsual = rate.inWindow >= params.usualMinCount && rate.inWindow > params.usualFactor * usual;
    return {
      subject: rate.rule,
      holds: overLimit || farAboveUsual,
      summary: `Rule ${rate.rule} rejected ${rate.inWindow} in ${params.windowMinutes} min (usually ${usual.toFixed(1)}, limit ${params.maxCount})`,
      value: rate.inWindow,
      threshold: params.maxCount,
      link: `/ops/rejects?${new URLSearchParams({ rule: rate.rule }).toString()}`,
      details: { usual, inBaseline: rate.inBaseline },
    };
  });
};

const job: Evaluator<'job'> = async (sources, params, now) => {
  const jobs = await jobHealth(sources.sql, {
    since: new Date(now.getTime() - params.lookbackHours * 3_600_000),
    now,
  });
  return jobs.map((health) => {
    const failed = health.lastFinished?.status === 'failed';
    const limitSeconds = Math.max(
      params.minRunningMinutes * 60,
      params.durationFactor * (health.usualSeconds ?? 0),
    );
    const long = health.running !== null && health.running.runningSeconds > limitSeconds;
    const usual =
      health.usualSeconds === null ? 'no completed run yet' : `usually ${minutes(health.usualSeconds)}`;
    const summary = failed
      ? `Job ${health.name} failed: ${health.lastFinished?.error ?? 'no error recorded'}`
      : long && health.running
        ? `Job ${health.name} running for ${minutes(health.running.runningSeconds)} (${usual})`
        : `Job ${health.name} healthy`;
    const runId = failed ? health.lastFinished?.id : health.running?.id;
    return {
      subject: health.name,
      holds: failed || long,
      summary,
      value: health.running?.runningSeconds ?? null,
      threshold: limitSeconds,
      link: runId ? `/admin/jobs/${runId}` : '/admin/jobs',
      details: { runId: runId ?? null, usualSeconds: health.usualSeconds },
    };
  });
};

const billingAlert: Evaluator<'billing_alert'> = async (sources) => {
  const summary = await openBillingAlertSummary(sources.sql);
  return [
    {
      subject: 'billing',
      holds: summary.open > 0,
      summary: `${summary.open} billing alert${summary.open === 1 ? '' : 's'} awaiting acknowledgement`,
      value: summary.open,
      threshold: 0,
      link: '/admin/billing',
      details: { oldestAt: summary.oldestAt?.toISOString() ?? null },
    },
  ];
};

const evaluators: { [K in AlertRuleKind]: Evaluator<K> } = {
  consumer_status: consumerStatus,
  freshness,
  worker_not_ready: workerNotReady,
  completeness,
  rejects,
  job,
  billing_alert: billingAlert,
};

/** Observations of one rule, its params validated against its kind (defaults filled in). */
export async function observeRule<K extends AlertRuleKind>(
  sources: AlertSources,
  rule: { kind: K; params: unknown },
  now: Date,
): Promise<AlertObservation[]> {
  const evaluate = evaluators[rule.kind] as Evaluator<K>;
  return evaluate(sources, parseRuleParams(rule.kind, rule.params), now);
}
