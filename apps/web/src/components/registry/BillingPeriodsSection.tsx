'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import { describedBy, Field, FormProblemMessage, PageNav, SearchBox, usePagedSearch } from './parts';

type Period = RouterOutputs['registry']['billingPeriods']['list']['rows'][number];

/** Billing periods: read by customer service; open periods kept by administrators. */
export function BillingPeriodsSection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const paging = usePagedSearch();
  const periods = useQuery(trpc.registry.billingPeriods.list.queryOptions(paging.input));
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <div className="dashboard">
      {canEdit ? (
        <Panel
          title="Create a billing period"
          description="Of one meter, or of all the customer's meters. Periods of the same scope must not share a day."
          name="create-billing-period"
        >
          <PeriodForm />
        </Panel>
      ) : null}
      <Panel
        title="Billing periods"
        description="An invoiced period stays as billed: a later change to one of its days raises a billing alert."
        name="registry-billing-periods"
        actions={
          <SearchBox
            id={`${id}-search`}
            label="Search customer or meter id"
            value={paging.search}
            onChange={paging.setSearch}
          />
        }
      >
        <QueryView
          query={periods}
          loadingLabel="Loading billing periods…"
          isEmpty={(data) => data.rows.length === 0}
          empty="No billing period matches."
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="registry-billing-periods">
                  <caption className="visually-hidden">Billing periods</caption>
                  <thead>
                    <tr>
                      <th scope="col">Period</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Meter</th>
                      <th scope="col">Days</th>
                      <th scope="col">Status</th>
                      {canEdit ? (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      ) : null}
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((period) =>
                      editing === period.id ? (
                        <tr key={period.id} className="row--form" data-period={period.id}>
                          <td colSpan={6}>
                            <PeriodForm period={period} onDone={() => setEditing(null)} />
                          </td>
                        </tr>
                      ) : (
                        <PeriodRow
                          key={period.id}
                          period={period}
                          canEdit={canEdit}
                          onEdit={() => setEditing(period.id)}
                        />
                      ),
                    )}
                  </tbody>
                </table>
              </div>
              <PageNav page={paging.page} nextCursor={data.nextCursor} paging={paging} />
            </>
          )}
        </QueryView>
      </Panel>
    </div>
  );
}

function PeriodRow({ period, canEdit, onEdit }: { period: Period; canEdit: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(
    trpc.registry.billingPeriods.deactivate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registry.billingPeriods.pathKey() }),
    }),
  );
  const open = period.invoicedAt === null && period.cancelledAt === null;
  return (
    <tr data-period={period.id}>
      <th scope="row">#{period.id}</th>
      <td className="mono">{period.customerId}</td>
      <td className="mono">{period.meterId ?? <span className="muted">all meters</span>}</td>
      <td>
        {period.periodStart} to {period.periodEnd}
      </td>
      <td>
        {period.cancelledAt ? (
          <span className="badge badge--down">
            Cancelled {formatUtc(period.cancelledAt, { seconds: false })}
          </span>
        ) : period.invoicedAt ? (
          <span className="badge badge--final">
            Invoiced {formatUtc(period.invoicedAt, { seconds: false })}
          </span>
        ) : (
          <span className="badge badge--up">Open</span>
        )}
        {cancel.isError ? (
          <p className="field__error" role="alert">
            {describeProblem(cancel.error).message}
          </p>
        ) : null}
      </td>
      {canEdit ? (
        <td>
          {open ? (
            <div className="row-actions">
              <button
                type="button"
                className="button button--small"
                onClick={onEdit}
                aria-label={`Edit billing period ${period.id}`}
              >
                Edit
              </button>
              <button
                type="button"
                className="button button--small"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ id: period.id })}
                aria-label={`Cancel billing period ${period.id}`}
              >
                Cancel period
              </button>
            </div>
          ) : null}
        </td>
      ) : null}
    </tr>
  );
}

const fieldNames = ['customerId', 'meterId', 'periodStart', 'periodEnd'] as const;

function PeriodForm({ period, onDone }: { period?: Period; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const empty = { customerId: '', meterId: '', periodStart: '', periodEnd: '' };
  const [values, setValues] = useState(
    period
      ? {
          customerId: period.customerId,
          meterId: period.meterId ?? '',
          periodStart: period.periodStart,
          periodEnd: period.periodEnd,
        }
      : empty,
  );
  const [created, setCreated] = useState<number | null>(null);
  const onSuccess = async (saved: { id: number }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.registry.billingPeriods.pathKey() });
    if (period === undefined) {
      setCreated(saved.id);
      setValues(empty);
    }
    onDone?.();
  };
  const create = useMutation(trpc.registry.billingPeriods.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.registry.billingPeriods.update.mutationOptions({ onSuccess }));
  const mutation = period ? update : create;
  const problem = mutation.isError ? describeProblem(mutation.error) : null;
  const errors = Object.fromEntries(fieldNames.map((name) => [name, fieldMessage(problem, name)])) as Record<
    (typeof fieldNames)[number],
    string | undefined
  >;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    if (period) update.mutate({ ...values, id: period.id });
    else create.mutate(values);
  };
  const input = (name: (typeof fieldNames)[number], label: string, type: string, hint?: string) => (
    <Field id={`${id}-${name}`} label={label} error={errors[name]} hint={hint}>
      <input
        id={`${id}-${name}`}
        type={type}
        value={values[name]}
        onChange={(event) => setValues({ ...values, [name]: event.target.value })}
        {...describedBy(`${id}-${name}`, errors[name], hint)}
      />
    </Field>
  );
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={period ? `Billing period ${period.id}` : 'Create a billing period'}
    >
      {input('customerId', 'Customer id', 'text')}
      {input('meterId', 'Meter id', 'text', "Empty: all of the customer's meters.")}
      {input('periodStart', 'First day', 'date')}
      {input('periodEnd', 'Last day (inclusive)', 'date')}
      <FormProblemMessage problem={problem} errors={errors} />
      {created ? (
        <p className="form__success field--wide" role="status">
          Created billing period #{created}.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {period ? 'Save period' : 'Create period'}
        </button>
        {onDone ? (
          <button type="button" className="button button--quiet" onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
