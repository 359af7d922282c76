'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Panel } from '../ui/Panel';
import { Segmented } from '../ui/Segmented';
import { EmptyState, QueryView } from '../ui/States';
import { formatDecimal, formatUtc } from '../../lib/format';
import { describeProblem } from '../../lib/form-errors';
import { useTRPC } from '../../trpc/client';

const causeLabels = { late_data: 'Late data', correction: 'Correction' } as const;

/** Invoiced days whose kWh changed, open ones first; acknowledging records who looked at it. */
export function BillingAlerts() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [show, setShow] = useState<'open' | 'all'>('open');
  const alerts = useQuery(
    trpc.billing.alerts.queryOptions({ open: show === 'open' }, { refetchInterval: 30_000 }),
  );
  const acknowledge = useMutation(
    trpc.billing.acknowledge.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.billing.alerts.pathKey() }),
    }),
  );
  return (
    <Panel
      title="Billing alerts"
      description="Raised when late data or a correction changes a day of an invoiced billing period: the invoice may need a credit or a rebill."
      name="billing-alerts"
      actions={
        <Segmented
          label="Show"
          value={show}
          options={[
            { value: 'open', label: 'Open' },
            { value: 'all', label: 'All' },
          ]}
          onChange={setShow}
        />
      }
    >
      {acknowledge.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(acknowledge.error).message}
        </p>
      ) : null}
      <QueryView
        query={alerts}
        loadingLabel="Loading alerts…"
        isEmpty={(data) => data.alerts.length === 0}
        empty={
          <EmptyState title={show === 'open' ? 'No open billing alert' : 'No billing alert yet'}>
            Invoiced periods are unchanged.
          </EmptyState>
        }
      >
        {(data) => (
          <div className="table-scroll">
            <table className="table table--compact" data-table="billing-alerts">
              <caption className="visually-hidden">Billing alerts</caption>
              <thead>
                <tr>
                  <th scope="col">Meter and day</th>
                  <th scope="col">Billing period</th>
                  <th scope="col" className="num">
                    kWh before
                  </th>
                  <th scope="col" className="num">
                    After
                  </th>
                  <th scope="col" className="num">
                    Change
                  </th>
                  <th scope="col">Cause</th>
                  <th scope="col">Raised</th>
                  <th scope="col">
                    <span className="visually-hidden">Acknowledge</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.alerts.map((alert) => (
                  <tr key={alert.id} data-alert={alert.id}>
                    <th scope="row">
                      <Link
                        className="mono"
                        href={`/service/meters/${encodeURIComponent(alert.meterId)}?day=${alert.day}`}
                      >
                        {alert.meterId}
                      </Link>{' '}
                      {alert.day}
                    </th>
                    <td className="small-cell">
                      #{alert.billingPeriodId}: {alert.periodStart} – {alert.periodEnd}
                      <br />
                      <span className="muted">
                        invoiced{' '}
                        {alert.invoicedKwh === null ? '–' : `${formatDecimal(alert.invoicedKwh)} kWh`}
                      </span>
                    </td>
                    <td className="num">{formatDecimal(alert.kwhBefore)}</td>
                    <td className="num">{formatDecimal(alert.kwhAfter)}</td>
                    <td className="num">
                      {alert.kwhDelta.startsWith('-') ? '' : '+'}
                      {formatDecimal(alert.kwhDelta)}
                    </td>
                    <td className="small-cell">
                      {causeLabels[alert.cause]}
                      <br />
                      <span className="muted">
                        {alert.revisions > 0
                          ? `${alert.revisions} revision${alert.revisions === 1 ? '' : 's'}`
                          : ''}
                        {alert.lateIntervals > 0
                          ? `${alert.lateIntervals} late interval${alert.lateIntervals === 1 ? '' : 's'}`
                          : ''}
                      </span>
                    </td>
                    <td className="small-cell">
                      {formatUtc(alert.createdAt, { seconds: false })}
                      <br />
                      <span className="muted">
                        by{' '}
                        {alert.jobRunId ? (
                          <Link href={`/admin/jobs/${alert.jobRunId}`}>
                            {alert.raisedByName ?? alert.raisedBy}
                          </Link>
                        ) : (
                          (alert.raisedByName ?? alert.raisedBy)
                        )}
                      </span>
                    </td>
                    <td>
                      {alert.acknowledgedAt ? (
                        <span className="small-cell muted">
                          Acknowledged by {alert.acknowledgedByName}
                          <br />
                          {formatUtc(alert.acknowledgedAt, { seconds: false })}
                        </span>
                      ) : (
                        <button
                          type="button"
                          className="button button--small"
                          disabled={acknowledge.isPending}
                          onClick={() => acknowledge.mutate({ id: alert.id })}
                          aria-label={`Acknowledge alert for ${alert.meterId} on ${alert.day}`}
                        >
                          Acknowledge
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {data.alerts.length >= data.limit ? (
              <p className="footnote">Showing the newest {data.limit}.</p>
            ) : null}
          </div>
        )}
      </QueryView>
    </Panel>
  );
}
