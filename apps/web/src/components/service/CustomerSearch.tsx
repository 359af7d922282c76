'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { EmptyState, QueryView } from '../ui/States';
import { formatKey } from '../../lib/format';
import { searchQuerySchema } from '../../lib/service-params';
import { useUrlState } from '../../lib/use-url-state';
import { useTRPC } from '../../trpc/client';

const parseState = (params: URLSearchParams) => ({
  q: searchQuerySchema.safeParse(params.get('q')).data ?? null,
});

const matchLabels = {
  meter_id: 'meter id',
  customer_id: 'customer id',
  name: 'name',
  email: 'email',
} as const;

/** Find a customer or meter by id, name or email; the query is kept in the URL. */
export function CustomerSearch() {
  const [state, setState] = useUrlState(parseState);
  const [typed, setTyped] = useState(state.q ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const trpc = useTRPC();
  const results = useQuery(
    trpc.service.search.queryOptions(
      { query: state.q ?? '' },
      { enabled: state.q !== null, placeholderData: keepPreviousData },
    ),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = searchQuerySchema.safeParse(typed);
    if (!parsed.success) return setProblem(parsed.error.issues[0]?.message ?? 'Check the search');
    setProblem(null);
    setState({ q: parsed.data });
  };

  return (
    <div className="dashboard">
      <form className="search-form" role="search" onSubmit={submit}>
        <div className="field">
          <label htmlFor="service-search">Meter id, customer id, name or email</label>
          <div className="search-form__row">
            <input
              id="service-search"
              type="search"
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              placeholder="MTR-000001, CUS-000001, Household 000001, …@customers.meterops.test"
              autoComplete="off"
              aria-invalid={problem !== null}
              aria-describedby={problem ? 'service-search-problem' : undefined}
            />
            <button type="submit" className="button button--primary">
              Search
            </button>
          </div>
          {problem ? (
            <p id="service-search-problem" className="field__error" role="alert">
              {problem}
            </p>
          ) : null}
        </div>
      </form>
      {state.q === null ? null : (
        <Panel title={`Results for “${state.q}”`} name="search-results">
          <QueryView
            query={results}
            loadingLabel="Searching…"
            isEmpty={(data) => data.hits.length === 0}
            empty={
              <EmptyState title="Nothing matches">
                Try a meter id such as MTR-000042, a customer id, part of a name or an email.
              </EmptyState>
            }
          >
            {(data) => (
              <div className="table-scroll">
                <table className="table" data-table="search-results">
                  <caption className="visually-hidden">Customers and meters matching {state.q}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Meter</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Email</th>
                      <th scope="col">Region</th>
                      <th scope="col">Matched</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.hits.map((hit) => (
                      <tr key={`${hit.customerId}/${hit.meterId ?? ''}`}>
                        <th scope="row">
                          {hit.meterId ? (
                            <Link
                              href={`/service/meters/${encodeURIComponent(hit.meterId)}`}
                              className="mono"
                            >
                              {hit.meterId}
                            </Link>
                          ) : (
                            <span className="muted">No meter</span>
                          )}
                          {hit.meterStatus && hit.meterStatus !== 'active' ? (
                            <span className="tag tag--muted">{hit.meterStatus}</span>
                          ) : null}
                        </th>
                        <td>
                          {hit.customerName} <span className="muted mono">{hit.customerId}</span>
                        </td>
                        <td className="mono">{hit.customerEmail ?? '–'}</td>
                        <td>
                          {hit.region ? formatKey(hit.region) : '–'}{' '}
                          <span className="muted">{hit.segment}</span>
                        </td>
                        <td className="muted">{matchLabels[hit.match]}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                {data.hits.length >= data.limit ? (
                  <p className="footnote">Showing the first {data.limit}; refine the search for more.</p>
                ) : null}
              </div>
            )}
          </QueryView>
        </Panel>
      )}
    </div>
  );
}
