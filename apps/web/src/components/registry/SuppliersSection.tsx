'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDeferredValue, useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { formatUtc } from '../../lib/format';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import {
  DeactivationStatus,
  describedBy,
  EditDeactivateActions,
  Field,
  FormProblemMessage,
  PageNav,
  SearchBox,
  usePagedSearch,
} from './parts';

type Supplier = RouterOutputs['registry']['suppliers']['list']['rows'][number];

/** Suppliers (market participants) and which supplier a meter belongs to over time. */
export function SuppliersSection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const paging = usePagedSearch();
  const suppliers = useQuery(trpc.registry.suppliers.list.queryOptions(paging.input));
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="dashboard">
      {canEdit ? (
        <Panel title="Create a supplier" name="create-supplier">
          <SupplierForm />
        </Panel>
      ) : null}
      <Panel
        title="Suppliers"
        description="Meters counts those registered to the supplier today. A deactivated supplier keeps its history."
        name="registry-suppliers"
        actions={
          <SearchBox
            id={`${id}-search`}
            label="Search id or name"
            value={paging.search}
            onChange={paging.setSearch}
          />
        }
      >
        <QueryView
          query={suppliers}
          loadingLabel="Loading suppliers…"
          isEmpty={(data) => data.rows.length === 0}
          empty="No supplier matches."
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="registry-suppliers">
                  <caption className="visually-hidden">Suppliers of the registry</caption>
                  <thead>
                    <tr>
                      <th scope="col">Supplier</th>
                      <th scope="col">Meters today</th>
                      <th scope="col">Status</th>
                      {canEdit ? (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      ) : null}
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((supplier) =>
                      editing === supplier.id ? (
                        <tr key={supplier.id} className="row--form" data-supplier={supplier.id}>
                          <td colSpan={4}>
                            <SupplierForm supplier={supplier} onDone={() => setEditing(null)} />
                          </td>
                        </tr>
                      ) : (
                        <SupplierRow
                          key={supplier.id}
                          supplier={supplier}
                          canEdit={canEdit}
                          onEdit={() => setEditing(supplier.id)}
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
      <MeterSupplierPanel canEdit={canEdit} />
    </div>
  );
}

function SupplierRow({
  supplier,
  canEdit,
  onEdit,
}: {
  supplier: Supplier;
  canEdit: boolean;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deactivate = useMutation(
    trpc.registry.suppliers.deactivate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registry.suppliers.pathKey() }),
    }),
  );
  const problem = deactivate.isError ? describeProblem(deactivate.error) : null;
  return (
    <tr data-supplier={supplier.id}>
      <th scope="row">
        {supplier.name}
        <br />
        <span className="mono muted">{supplier.id}</span>
      </th>
      <td>{supplier.meters}</td>
      <DeactivationStatus deactivatedAt={supplier.deactivatedAt} problem={problem} />
      {canEdit ? (
        <EditDeactivateActions
          noun="supplier"
          id={supplier.id}
          deactivated={supplier.deactivatedAt !== null}
          pending={deactivate.isPending}
          onEdit={onEdit}
          onDeactivate={() => deactivate.mutate({ id: supplier.id })}
        />
      ) : null}
    </tr>
  );
}

function SupplierForm({ supplier, onDone }: { supplier?: Supplier; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [values, setValues] = useState({ id: supplier?.id ?? '', name: supplier?.name ?? '' });
  const [created, setCreated] = useState<string | null>(null);
  const onSuccess = async (saved: { id: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.registry.suppliers.pathKey() });
    if (supplier === undefined) {
      setCreated(saved.id);
      setValues({ id: '', name: '' });
    }
    onDone?.();
  };
  const create = useMutation(trpc.registry.suppliers.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.registry.suppliers.update.mutationOptions({ onSuccess }));
  const mutation = supplier ? update : create;
  const problem = mutation.isError ? describeProblem(mutation.error) : null;
  const errors = { id: fieldMessage(problem, 'id'), name: fieldMessage(problem, 'name') };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    mutation.mutate(values);
  };
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={supplier ? `Supplier ${supplier.id}` : 'Create a supplier'}
    >
      <Field
        id={`${id}-id`}
        label="Supplier id"
        error={errors.id}
        hint={supplier ? 'Fixed once created.' : 'Letters, digits and . _ : - only.'}
      >
        <input
          id={`${id}-id`}
          value={values.id}
          readOnly={supplier !== undefined}
          onChange={(event) => setValues((old) => ({ ...old, id: event.target.value }))}
          {...describedBy(
            `${id}-id`,
            errors.id,
            supplier ? 'Fixed once created.' : 'Letters, digits and . _ : - only.',
          )}
        />
      </Field>
      <Field id={`${id}-name`} label="Name" error={errors.name}>
        <input
          id={`${id}-name`}
          value={values.name}
          onChange={(event) => setValues((old) => ({ ...old, name: event.target.value }))}
          {...describedBy(`${id}-name`, errors.name)}
        />
      </Field>
      <FormProblemMessage problem={problem} errors={errors} />
      {created ? (
        <p className="form__success field--wide" role="status">
          Created supplier <span className="mono">{created}</span>.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {supplier ? 'Save supplier' : 'Create supplier'}
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

/** A meter's supplier history (retracted registrations too) and, for administrators, a switch. */
function MeterSupplierPanel({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const [meterId, setMeterId] = useState('');
  const typed = useDeferredValue(meterId.trim());
  const history = useQuery({
    ...trpc.registry.meters.suppliers.queryOptions({ id: typed }),
    enabled: typed.length > 0,
  });
  return (
    <Panel
      title="Supplier of a meter"
      description="A switch moves the meter to the supplier from that local settlement day on. Replaced registrations are kept (retracted), so old settlement runs can be reproduced."
      name="meter-suppliers"
      actions={
        <div className="field">
          <label htmlFor={`${id}-meter`} className="visually-hidden">
            Meter id
          </label>
          <input
            id={`${id}-meter`}
            placeholder="Meter id, e.g. MTR-000001"
            value={meterId}
            onChange={(event) => setMeterId(event.target.value)}
          />
        </div>
      }
    >
      {typed.length === 0 ? (
        <p className="muted">Enter a meter id to see its suppliers.</p>
      ) : (
        <QueryView
          query={history}
          loadingLabel="Loading the meter's suppliers…"
          isEmpty={(data) => data.length === 0}
          empty="No supplier registration for this meter."
        >
          {(data) => (
            <div className="table-scroll">
              <table className="table table--compact" data-table="meter-suppliers">
                <caption className="visually-hidden">Supplier registrations of {typed}</caption>
                <thead>
                  <tr>
                    <th scope="col">Supplier</th>
                    <th scope="col">From</th>
                    <th scope="col">Until (exclusive)</th>
                    <th scope="col">Recorded</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((row) => (
                    <tr key={row.id} className={row.retractedAt ? 'muted' : undefined}>
                      <th scope="row">
                        {row.supplierName} <span className="mono muted">{row.supplierId}</span>
                      </th>
                      <td>{row.validFrom}</td>
                      <td>{row.validTo ?? 'open'}</td>
                      <td>{formatUtc(row.recordedAt, { seconds: false })}</td>
                      <td>
                        {row.retractedAt
                          ? `Replaced ${formatUtc(row.retractedAt, { seconds: false })}`
                          : 'Current'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      )}
      {canEdit && typed.length > 0 ? <SwitchForm meterId={typed} /> : null}
    </Panel>
  );
}

function SwitchForm({ meterId }: { meterId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const suppliers = useQuery(trpc.registry.suppliers.list.queryOptions({ search: '' }));
  const [values, setValues] = useState({ supplierId: '', from: '' });
  const switchSupplier = useMutation(
    trpc.registry.meters.switchSupplier.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.registry.meters.suppliers.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.registry.suppliers.pathKey() });
      },
    }),
  );
  const problem = switchSupplier.isError ? describeProblem(switchSupplier.error) : null;
  const errors = {
    meterId: fieldMessage(problem, 'meterId'),
    supplierId: fieldMessage(problem, 'supplierId'),
    from: fieldMessage(problem, 'from'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    switchSupplier.mutate({ meterId, ...values });
  };
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={`Switch the supplier of ${meterId}`}
    >
      <Field id={`${id}-supplier`} label="New supplier" error={errors.supplierId ?? errors.meterId}>
        <select
          id={`${id}-supplier`}
          value={values.supplierId}
          onChange={(event) => setValues((old) => ({ ...old, supplierId: event.target.value }))}
          {...describedBy(`${id}-supplier`, errors.supplierId ?? errors.meterId)}
        >
          <option value="">Choose a supplier</option>
          {(suppliers.data?.rows ?? [])
            .filter((supplier) => supplier.deactivatedAt === null)
            .map((supplier) => (
              <option key={supplier.id} value={supplier.id}>
                {supplier.name} ({supplier.id})
              </option>
            ))}
        </select>
      </Field>
      <Field id={`${id}-from`} label="From settlement day" error={errors.from}>
        <input
          id={`${id}-from`}
          type="date"
          value={values.from}
          onChange={(event) => setValues((old) => ({ ...old, from: event.target.value }))}
          {...describedBy(`${id}-from`, errors.from)}
        />
      </Field>
      <FormProblemMessage problem={problem} errors={errors} />
      {switchSupplier.isSuccess ? (
        <p className="form__success field--wide" role="status">
          Switched {meterId} to {values.supplierId} from {values.from}.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={switchSupplier.isPending}>
          Switch supplier
        </button>
      </div>
    </form>
  );
}
