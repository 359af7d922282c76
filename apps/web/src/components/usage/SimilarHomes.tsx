'use client';

import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatCount, formatKey } from '../../lib/format';
import type { UsageView } from '../../lib/usage-params';
import type { RouterOutputs } from '../../trpc/client';

type Comparison = RouterOutputs['usage']['comparison'];
type Compared = Extract<Comparison, { outcome: 'compared' }>;

interface QueryLike {
  data: Comparison | undefined;
  error: { message: string } | null;
  isPending: boolean;
  refetch: () => unknown;
}

const kwh = (value: number) =>
  `${value.toLocaleString('en-GB', { maximumFractionDigits: 1, minimumFractionDigits: 1 })} kWh`;

function ordinal(value: number): string {
  const rounded = Math.round(value);
  const tens = rounded % 100;
  const suffix =
    tens >= 11 && tens <= 13
      ? 'th'
      : rounded % 10 === 1
        ? 'st'
        : rounded % 10 === 2
          ? 'nd'
          : rounded % 10 === 3
            ? 'rd'
            : 'th';
  return `${rounded}${suffix}`;
}

/**
 * The meter's kWh per day beside homes of the same region and segment: its percentile, the median and the
 * middle half, drawn as one scale from the lowest quartile to the highest.
 */
export function SimilarHomes({
  query,
  meter,
  view,
}: {
  query: QueryLike;
  meter: { region: string; segment: string } | null;
  view: UsageView;
}) {
  const who = meter ? `${meter.segment} homes in ${formatKey(meter.region)}` : 'similar homes';
  return (
    <Panel
      title="Compared with similar homes"
      description={`Your kWh per day this ${view} against other ${who}, from the same meter data.`}
      name="similar-homes"
    >
      <QueryView query={query} loadingLabel="Comparing…" height={120}>
        {(data) =>
          data.outcome === 'compared' ? (
            <ComparisonScale data={data} />
          ) : data.outcome === 'not-enough-peers' ? (
            // Quartiles of a handful of homes would give a neighbour's usage away.
            <EmptyState title="Not enough similar homes to compare with" height={120}>
              A comparison needs at least {data.minimumPeers} other {who} with data for this {view}.
            </EmptyState>
          ) : (
            <EmptyState title="Not enough data to compare this period" height={120} />
          )
        }
      </QueryView>
    </Panel>
  );
}

function ComparisonScale({ data }: { data: Compared }) {
  const { dailyKwh: mine, p25, median, p75, percentile } = data;
  // The scale runs from zero to a little beyond the larger of the upper quartile and this home.
  const top = Math.max(p75 * 1.5, mine * 1.1, 0.1);
  const at = (value: number) => `${Math.min(100, Math.max(0, (value / top) * 100))}%`;
  const usedMore = 100 - percentile;
  return (
    <div className="compare" data-percentile={percentile.toFixed(1)}>
      <p className="compare__headline">
        You used <strong>{kwh(mine)}</strong> a day: {ordinal(percentile)} percentile of{' '}
        {formatCount(data.peers)} similar homes.{' '}
        {usedMore >= 50
          ? `${Math.round(usedMore)} % of them used more than you.`
          : `${Math.round(percentile)} % of them used less than you.`}
      </p>
      <div
        className="compare__scale"
        role="img"
        aria-label={`Middle half of similar homes ${kwh(p25)} to ${kwh(p75)} a day, median ${kwh(median)}, you ${kwh(mine)}`}
      >
        <span className="compare__band" style={{ left: at(p25), width: `calc(${at(p75)} - ${at(p25)})` }} />
        <span className="compare__median" style={{ left: at(median) }} />
        <span className="compare__you" style={{ left: at(mine) }}>
          <span className="compare__you-label">You</span>
        </span>
      </div>
      <dl className="compare__legend">
        <div>
          <dt>Similar homes, middle half</dt>
          <dd>
            {kwh(p25)} – {kwh(p75)}
          </dd>
        </div>
        <div>
          <dt>Median</dt>
          <dd>{kwh(median)}</dd>
        </div>
        <div>
          <dt>You</dt>
          <dd>{kwh(mine)}</dd>
        </div>
      </dl>
    </div>
  );
}
