'use client';

import { useQuery } from '@tanstack/react-query';
import { Panel } from '../ui/Panel';
import { Stat, StatGrid } from '../ui/Stat';
import { EmptyState, QueryView } from '../ui/States';
import { formatCount, formatDecimal } from '../../lib/format';
import { formatLongMonth } from '../../lib/local-time';
import { useTRPC } from '../../trpc/client';

const days = (count: number) => `${formatCount(count)} ${count === 1 ? 'day' : 'days'}`;

/**
 * "Expected this month": the month's measured usage so far plus the forecast of its remaining days. The
 * forecast part is always labelled as one, with the model that made it.
 */
export function MonthOutlook({ meterId, month }: { meterId: string; month: string }) {
  const trpc = useTRPC();
  const outlook = useQuery(trpc.usage.monthOutlook.queryOptions({ meterId, month }, { staleTime: 60_000 }));
  const monthName = formatLongMonth(`${month}-01`);
  return (
    <Panel
      title={`Expected in ${monthName}`}
      description="Your usage so far this month plus our forecast for the days still to come. The forecast is an estimate, not a reading."
      name="month-outlook"
    >
      <QueryView query={outlook} loadingLabel="Looking ahead…" height={120}>
        {(data) =>
          data.expectedKwh === null ? (
            <EmptyState title="No forecast for the rest of this month yet" height={120}>
              {data.actualDays > 0
                ? `So far ${formatDecimal(data.actualKwh)} kWh over ${days(data.actualDays)}.`
                : 'Forecasts start once your meter has a week of readings.'}
            </EmptyState>
          ) : (
            <StatGrid label={`Expected usage in ${monthName}`}>
              <Stat
                name="expected-month"
                label="Expected this month (forecast)"
                value={`${formatDecimal(data.expectedKwh)} kWh`}
                detail={
                  data.forecastDays === 0
                    ? 'Every day of the month has readings'
                    : `Includes a forecast for ${days(data.forecastDays)}`
                }
              />
              <Stat
                name="so-far"
                label="Used so far"
                value={`${formatDecimal(data.actualKwh)} kWh`}
                detail={`${days(data.actualDays)} with readings`}
              />
              <Stat
                name="forecast-rest"
                label="Forecast for the rest"
                value={`${formatDecimal(data.forecastKwh)} kWh`}
                detail={
                  data.modelVersion
                    ? `Forecast issued ${data.issueDay ?? ''}, model ${data.modelVersion}`
                    : 'Nothing left to forecast'
                }
              />
            </StatGrid>
          )
        }
      </QueryView>
    </Panel>
  );
}
