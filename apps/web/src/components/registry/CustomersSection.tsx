'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { segments } from '../../lib/registry-params';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import {
  describedBy,
  Field,
  FormProblemMessage,
  PageNav,
  SearchBox,
  usePagedSearch,
  DeactivationStatus,
  EditDeactivateActions,
} from './parts';

type Customer = RouterOutputs['registry']['customers']['list']['rows'][number];

/** Customers: read by customer service, kept by administrators. */
export function CustomersSection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const paging = usePagedSearch();
  const customers = useQuery(trpc.registry.customers.list.queryOptions(paging.input));
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="dashboard">
      {canEdit ? (
        <Panel title="Create a customer" name="create-customer">
          <CustomerForm />
        </Panel>
      ) : null}
      <Panel
        title="Customers"
        description="A deactivated customer keeps its history; no meter can be registered to it."
        name="registry-customers"
        actions={
          <SearchBox
            id={`${id}-search`}
            label="Search id, name or email"
            value={paging.search}
            onChange={paging.setSearch}
          />
        }
      >
        <QueryView
          query={customers}
          loadingLabel="Loading customers…"
          isEmpty={(data) => data.rows.length === 0}
          empty="No customer matches."
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="registry-customers">
                  <caption className="visually-hidden">Customers of the registry</caption>
                  <thead>
                    <tr>
                      <th scope="col">Customer</th>
                      <th scope="col">Email</th>
                      <th scope="col">Region · segment</th>
                      <th scope="col">Active meters</th>
                      <th scope="col">Status</th>
                      {canEdit ? (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      ) : null}
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((customer) =>
                      editing === customer.id ? (
                        <tr key={customer.id} className="row--form" data-customer={customer.id}>
                          <td colSpan={6}>
                            <CustomerForm customer={customer} onDone={() => setEditing(null)} />
                          </td>
                        </tr>
                      ) : (
                        <CustomerRow
                          key={customer.id}
                          customer={customer}
                          canEdit={canEdit}
                          onEdit={() => setEditing(customer.id)}
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

function CustomerRow({
  customer,
  canEdit,
  onEdit,
}: {
  customer: Customer;
  canEdit: boolean;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deactivate = useMutation(
    trpc.registry.customers.deactivate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registry.customers.pathKey() }),
    }),
  );
  const problem = deactivate.isError ? describeProblem(deactivate.error) : null;
  return (
    <tr data-customer={customer.id}>
      <th scope="row">
        {customer.name}
        <br />
        <span className="mono muted">{customer.id}</span>
      </th>
      <td>{customer.email ?? <span className="muted">–</span>}</td>
      <td>
        {customer.region} · {customer.segment}
      </td>
      <td>{customer.activeMeters}</td>
      <DeactivationStatus deactivatedAt={customer.deactivatedAt} problem={problem} />
      {canEdit ? (
        <EditDeactivateActions
          noun="customer"
          id={customer.id}
          deactivated={customer.deactivatedAt !== null}
          pending={deactivate.isPending}
          onEdit={onEdit}
          onDeactivate={() => deactivate.mutate({ id: customer.id })}
        />
      ) : null}
    </tr>
  );
}

const fieldNames = ['id', 'name', 'email', 'region', 'segment'] as const;

function CustomerForm({ customer, onDone }: { customer?: Customer; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const empty = {
    id: '',
    name: '',
    email: '',
    region: '',
    segment: 'residential' as (typeof segments)[number],
  };
  const [values, setValues] = useState(
    customer
      ? {
          id: customer.id,
          name: customer.name,
          email: customer.email ?? '',
          region: customer.region,
          segment: customer.segment,
        }
      : empty,
  );
  const [created, setCreated] = useState<string | null>(null);
  const onSuccess = async (saved: { id: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.registry.customers.pathKey() });
    if (customer === undefined) {
      setCreated(saved.id);
      setValues(empty);
    }
    onDone?.();
  };
  const create = useMutation(trpc.registry.customers.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.registry.customers.update.mutationOptions({ onSuccess }));
  const mutation = customer ? update : create;
  const problem = mutation.isError ? describeProblem(mutation.error) : null;
  const errors = Object.fromEntries(fieldNames.map((name) => [name, fieldMessage(problem, name)])) as Record<
    (typeof fieldNames)[number],
    string | undefined
  >;
  const set = (name: keyof typeof values) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [name]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    mutation.mutate(values);
  };
  const text = (name: 'id' | 'name' | 'email' | 'region', label: string, hint?: string) => (
    <Field id={`${id}-${name}`} label={label} error={errors[name]} hint={hint}>
      <input
        id={`${id}-${name}`}
        value={values[name]}
        onChange={set(name)}
        readOnly={name === 'id' && customer !== undefined}
        {...describedBy(`${id}-${name}`, errors[name], hint)}
      />
    </Field>
  );
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={customer ? `Customer ${customer.id}` : 'Create a customer'}
    >
      {text('id', 'Customer id', customer ? 'Fixed once created.' : 'Letters, digits and . _ : - only.')}
      {text('name', 'Name')}
      {text('email', 'Email', 'Optional.')}
      {text('region', 'Region', 'Of the supply address, e.g. london.')}
      <Field id={`${id}-segment`} label="Segment" error={errors.segment}>
        <select
          id={`${id}-segment`}
          value={values.segment}
          onChange={set('segment')}
          {...describedBy(`${id}-segment`, errors.segment)}
        >
          {segments.map((segment) => (
            <option key={segment} value={segment}>
              {segment}
            </option>
          ))}
        </select>
      </Field>
      <FormProblemMessage problem={problem} errors={errors} />
      {created ? (
        <p className="form__success field--wide" role="status">
          Created customer <span className="mono">{created}</span>.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {customer ? 'Save customer' : 'Create customer'}
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
