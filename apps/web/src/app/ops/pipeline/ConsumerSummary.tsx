'use client';

import { StatusBadge } from '../../../components/ui/Badges';
import { Stat, StatGrid, type Tone } from '../../../components/ui/Stat';
import { formatAgo, formatCount, formatDuration, formatUtc } from '../../../lib/format';
import { useNow } from '../../../lib/use-now';
import type { RouterOutputs } from '../../../trpc/client';

type Consumers = RouterOutputs['pipeline']['consumers'];

const statusTone: Record<Consumers['status'], Tone> = {
  OK: 'good',
  WARN: 'warn',
  STALL: 'bad',
  STOP: 'bad',
  UNKNOWN: 'neutral',
};

/** The consumer group now: overall status, total lag, lag trend and freshness. */
export function ConsumerSummary({ data }: { data: Consumers }) {
  const now = useNow();
  const worst = data.partitions.find((partition) => partition.worst);
  const { trend } = data;
  const trendText =
    trend.trend === 'shrinking'
      ? 'Shrinking'
      : trend.trend === 'growing'
        ? 'Growing'
        : data.totalLagOffsets === 0
          ? 'Caught up'
          : 'Steady';
  const catchUp =
    trend.catchUpSeconds === null
      ? data.totalLagOffsets === 0
        ? 'Nothing to catch up'
        : 'Not catching up at the current rate'
      : trend.catchUpSeconds === 0
        ? 'Nothing to catch up'
        : `Caught up in about ${formatDuration(trend.catchUpSeconds * 1000)}`;
  const commitAge =
    data.freshness.lastCommitAt && now > 0 ? now - data.freshness.lastCommitAt.getTime() : null;
  return (
    <StatGrid label="Consumer group now">
      <Stat
        name="status"
        label="Consumer status"
        value={<StatusBadge status={data.status} />}
        detail={`${data.partitions.length} partition${data.partitions.length === 1 ? '' : 's'}, judged over ${formatDuration(data.windowMs)}`}
        tone={statusTone[data.status]}
      />
      <Stat
        name="total-lag"
        label="Total lag"
        value={`${formatCount(data.totalLagOffsets)} offsets`}
        detail={
          worst
            ? `Worst: partition ${worst.partition}, ${formatCount(worst.lagOffsets ?? 0)} offsets, ${formatDuration((worst.lagSeconds ?? 0) * 1000)}`
            : 'Every partition is caught up'
        }
        tone={data.totalLagOffsets === 0 ? 'good' : 'warn'}
      />
      <Stat
        name="trend"
        label="Lag trend"
        value={trendText}
        detail={`${catchUp} · ${trend.offsetsPerSecond >= 0 ? '+' : ''}${trend.offsetsPerSecond.toFixed(1)} offsets/s`}
        tone={trend.trend === 'growing' ? 'warn' : 'neutral'}
      />
      <Stat
        name="freshness"
        label="Freshness"
        value={
          data.freshness.lastCommitAt
            ? commitAge === null
              ? '…'
              : formatAgo(data.freshness.lastCommitAt, now)
            : 'No commit'
        }
        detail={
          data.freshness.lastCommitAt
            ? `Last commit ${formatUtc(data.freshness.lastCommitAt)}`
            : 'No offset committed in the last 7 days'
        }
        tone={commitAge !== null && commitAge > data.windowMs && data.totalLagOffsets > 0 ? 'bad' : 'neutral'}
      />
    </StatGrid>
  );
}
