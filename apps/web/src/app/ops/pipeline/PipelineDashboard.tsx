'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Panel } from '../../../components/ui/Panel';
import { Segmented } from '../../../components/ui/Segmented';
import { EmptyState, QueryView } from '../../../components/ui/States';
import { formatUtcTime } from '../../../lib/format';
import { pipelineRanges, pipelineRangeSchema, type PipelineRange } from '../../../lib/ops-params';
import { useUrlState } from '../../../lib/use-url-state';
import { useTRPC } from '../../../trpc/client';
import { ConsumerSummary } from './ConsumerSummary';
import { LagView } from './LagPanel';
import { LatencyView } from './LatencyPanel';
import { RulesView } from './RulesPanel';
import { ThroughputView } from './ThroughputPanel';
import { WorkersView } from './WorkersPanel';

const REFRESH_MS = 10_000;
const live = {
  refetchInterval: REFRESH_MS,
  placeholderData: keepPreviousData,
  staleTime: REFRESH_MS / 2,
} as const;

const parseState = (params: URLSearchParams) => ({
  range: pipelineRangeSchema.catch('1h').parse(params.get('range') ?? undefined),
});

const rangeOptions = (Object.keys(pipelineRanges) as PipelineRange[]).map((value) => ({
  value,
  label: pipelineRanges[value].label,
}));

/**
 * The pipeline page: one query per panel, all on the chosen range and refreshed together; each panel's
 * view lives in its own file.
 */
export function PipelineDashboard() {
  const [{ range }, setState] = useUrlState(parseState);
  const trpc = useTRPC();
  const consumers = useQuery(trpc.pipeline.consumers.queryOptions({ range }, live));
  const throughput = useQuery(trpc.pipeline.throughput.queryOptions({ range }, live));
  const latency = useQuery(trpc.pipeline.latency.queryOptions({ range }, live));
  const rules = useQuery(trpc.pipeline.rules.queryOptions({ range }, live));
  const workers = useQuery(trpc.pipeline.workers.queryOptions({ range }, live));
  const updatedAt = Math.max(
    consumers.dataUpdatedAt,
    throughput.dataUpdatedAt,
    latency.dataUpdatedAt,
    rules.dataUpdatedAt,
  );

  return (
    <div className="dashboard">
      <div className="toolbar">
        <Segmented
          label="Time range"
          value={range}
          options={rangeOptions}
          onChange={(value) => setState({ range: value === '1h' ? null : value })}
        />
        <p className="toolbar__meta" aria-live="polite">
          {updatedAt > 0 ? <>Updated {formatUtcTime(updatedAt)} UTC · </> : null}refreshes every{' '}
          {REFRESH_MS / 1000} s
        </p>
      </div>

      <QueryView query={consumers} loadingLabel="Reading consumer lag…" height={120}>
        {(data) => <ConsumerSummary data={data} />}
      </QueryView>

      <div className="grid-2">
        <Panel
          title="Throughput"
          description="Readings in (consumed from Kafka) against readings out (stored in Postgres), per second."
          name="throughput"
        >
          <QueryView
            query={throughput}
            height={300}
            isEmpty={(data) => data.totals.messages === 0}
            empty={
              <EmptyState title="No batches in this range" height={300}>
                The worker committed nothing in the last {pipelineRanges[range].label}.
              </EmptyState>
            }
          >
            {(data) => <ThroughputView data={data} />}
          </QueryView>
        </Panel>
        <Panel
          title="Rejects by rule"
          description="Readings the VEE rules rejected (quarantined) or flagged (stored for review)."
          name="rules"
        >
          <QueryView
            query={rules}
            height={300}
            isEmpty={(data) => data.rules.length === 0}
            empty={
              <EmptyState title="Nothing rejected or flagged" height={300}>
                No rule fired in the last {pipelineRanges[range].label}.
              </EmptyState>
            }
          >
            {(data) => <RulesView data={data} />}
          </QueryView>
        </Panel>
      </div>

      <Panel
        title="Consumer lag"
        description="Messages between each partition's committed offset and its end, and the age of the oldest one."
        name="lag"
      >
        <QueryView
          query={consumers}
          height={360}
          isEmpty={(data) => data.partitions.length === 0}
          empty={
            <EmptyState title="No consumer has reported" height={200}>
              No lag or commits in InfluxDB for the last 7 days. Is a worker running?
            </EmptyState>
          }
        >
          {(data) => <LagView data={data} />}
        </QueryView>
      </Panel>

      <Panel
        title="Workers"
        description="Each ingest worker as it last reported: consuming, paused (and why), restarting its consumer, or silent. Below, the pauses of the range and when ingest resumed."
        name="workers"
      >
        <QueryView
          query={workers}
          height={160}
          isEmpty={(data) => data.workers.length === 0 && data.incidents.length === 0}
          empty={
            <EmptyState title="No worker has reported" height={120}>
              No worker reported in the last day. Start one with npm run worker.
            </EmptyState>
          }
        >
          {(data) => <WorkersView data={data} />}
        </QueryView>
      </Panel>

      <Panel
        title="Batch latency"
        description="Per batch: time in the Postgres transaction, and from the end of the newest interval to the commit (end to end)."
        name="latency"
      >
        <QueryView
          query={latency}
          height={300}
          isEmpty={(data) => data.summary.batches === 0}
          empty={<EmptyState title="No batches in this range" height={200} />}
        >
          {(data) => <LatencyView data={data} />}
        </QueryView>
      </Panel>
    </div>
  );
}
