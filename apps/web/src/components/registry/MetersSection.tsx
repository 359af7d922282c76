'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { formatCount, formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../lib/form-errors';
import { segments } from '../../lib/registry-params';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import {
  describedBy,
  Field,
  FormProblemMessage,
  fromUtcInput,
  PageNav,
  parseNumber,
  SearchBox,
  toUtcInput,
  usePagedSearch,
} from './parts';

type Meter = RouterOutputs['registry']['meters']['list']['rows'][number];

/** The runtime's IANA zones, offered as suggestions; the server checks whatever is typed. */
function useTimeZones(): string[] {
  return useMemo(
    () => (typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : []),
    [],
  );
}

/** Meters: list and search for every staff role; register, edit and deactivate for administrators. */
export function MetersSection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const paging = usePagedSearch();
  const meters = useQuery(trpc.registry.meters.list.queryOptions(paging.input));
  const [editing, setEditing] = useState<string | null>(null);
  const [deactivating, setDeactivating] = useState<string | null>(null);
  return (
    <div className="dashboard">
      {canEdit ? <RegisterMeter /> : null}
      <Panel
        title="Meters"
        description="Meters are never deleted: an inactive meter's readings are refused, a removed meter's from its removal on."
        name="registry-meters"
        actions={
          <SearchBox
            id={`${id}-search`}
            label="Search meter or customer id"
            value={paging.search}
            onChange={paging.setSearch}
          />
        }
      >
        <QueryView
          query={meters}
          loadingLabel="Loading meters…"
          isEmpty={(data) => data.rows.length === 0}
          empty="No meter matches."
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="registry-meters">
                  <caption className="visually-hidden">Meters of the registry</caption>
                  <thead>
                    <tr>
                      <th scope="col">Meter</th>
                      <th scope="col">Customer</th>
                      <th scope="col">Region · segment</th>
                      <th scope="col">Tariff</th>
                      <th scope="col">Interval</th>
                      <th scope="col">Time zone</th>
                      <th scope="col">Installed (UTC)</th>
                      <th scope="col">Status</th>
                      {canEdit ? (
                        <th scope="col">
                          <span className="visually-hidden">Actions</span>
                        </th>
                      ) : null}
                    </tr>
                  </thead>
                  <tbody>
                    {data.rows.map((meter) =>
                      editing === meter.id || deactivating === meter.id ? (
                        <tr key={meter.id} className="row--form" data-meter={meter.id}>
                          <td colSpan={9}>
                            {editing === meter.id ? (
                              <MeterForm meter={meter} onDone={() => setEditing(null)} />
                            ) : (
                              <DeactivateMeter meter={meter} onDone={() => setDeactivating(null)} />
                            )}
                          </td>
                        </tr>
                      ) : (
                        <tr key={meter.id} data-meter={meter.id}>
                          <th scope="row" className="mono">
                            {meter.id}
                          </th>
                          <td className="mono">{meter.customerId}</td>
                          <td>
                            {meter.region} · {meter.segment}
                          </td>
                          <td className="mono">{meter.tariffId}</td>
                          <td>{meter.intervalMinutes} min</td>
                          <td>{meter.timeZone}</td>
                          <td className="small-cell">{formatUtc(meter.installedAt, { seconds: false })}</td>
                          <td>
                            <MeterStatus meter={meter} />
                          </td>
                          {canEdit ? (
                            <td>
                              <div className="row-actions">
                                <button
                                  type="button"
                                  className="button button--small"
                                  onClick={() => setEditing(meter.id)}
                                  aria-label={`Edit meter ${meter.id}`}
                                >
                                  Edit
                                </button>
                                {meter.status === 'active' ? null : <ReactivateMeter meter={meter} />}
                                {meter.status === 'removed' ? null : (
                                  <button
                                    type="button"
                                    className="button button--small"
                                    onClick={() => setDeactivating(meter.id)}
                                    aria-label={`Deactivate meter ${meter.id}`}
                                  >
                                    Deactivate
                                  </button>
                                )}
                              </div>
                            </td>
                          ) : null}
                        </tr>
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

function MeterStatus({ meter }: { meter: Meter }) {
  if (meter.status === 'active') return <span className="badge badge--up">Active</span>;
  if (meter.status === 'inactive') return <span className="badge badge--down">Inactive</span>;
  return (
    <span
      className="badge badge--down"
      title={meter.removedAt ? `Removed ${formatUtc(meter.removedAt)}` : undefined}
    >
      Removed{meter.removedAt ? ` ${formatUtc(meter.removedAt, { seconds: false })}` : ''}
    </span>
  );
}

const emptyMeter = {
  id: '',
  customerId: '',
  region: 'london',
  segment: 'residential' as (typeof segments)[number],
  tariffId: '',
  intervalMinutes: '30',
  timeZone: 'Europe/London',
  multiplier: '1',
  maxKwhPerInterval: '',
  installedAt: '',
};

function fieldsOf(meter: Meter): typeof emptyMeter {
  return {
    id: meter.id,
    customerId: meter.customerId,
    region: meter.region,
    segment: meter.segment,
    tariffId: meter.tariffId,
    intervalMinutes: String(meter.intervalMinutes),
    timeZone: meter.timeZone,
    multiplier: String(meter.multiplier),
    maxKwhPerInterval: String(meter.maxKwhPerInterval),
    installedAt: toUtcInput(meter.installedAt),
  };
}

const meterFieldNames = [
  'id',
  'customerId',
  'region',
  'segment',
  'tariffId',
  'intervalMinutes',
  'timeZone',
  'multiplier',
  'maxKwhPerInterval',
  'installedAt',
] as const;

/** Create (no `meter`) or edit a meter; the id is fixed once registered. */
function MeterForm({
  meter,
  onDone,
  onCreated,
}: {
  meter?: Meter;
  onDone?: () => void;
  onCreated?: (meterId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const zones = useTimeZones();
  const [values, setValues] = useState(meter ? fieldsOf(meter) : emptyMeter);
  const [localProblem, setLocalProblem] = useState<FormProblem | null>(null);
  const onSuccess = async (saved: { id: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.registry.meters.pathKey() });
    if (meter === undefined) {
      setValues(emptyMeter);
      onCreated?.(saved.id);
    }
    onDone?.();
  };
  const create = useMutation(trpc.registry.meters.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.registry.meters.update.mutationOptions({ onSuccess }));
  const mutation = meter ? update : create;
  const problem = localProblem ?? (mutation.isError ? describeProblem(mutation.error) : null);
  const errors = Object.fromEntries(
    meterFieldNames.map((name) => [name, fieldMessage(problem, name)]),
  ) as Record<(typeof meterFieldNames)[number], string | undefined>;
  const set = (name: keyof typeof emptyMeter) => (event: { target: { value: string } }) =>
    setValues((current) => ({ ...current, [name]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const installedAt = fromUtcInput(values.installedAt);
    if (installedAt === null) {
      setLocalProblem({
        message: 'Check the highlighted fields.',
        fieldErrors: { installedAt: ['Enter when the meter was installed (UTC)'] },
      });
      return;
    }
    setLocalProblem(null);
    mutation.mutate({
      id: values.id,
      customerId: values.customerId,
      region: values.region,
      segment: values.segment,
      tariffId: values.tariffId,
      intervalMinutes: Number(values.intervalMinutes) as 15 | 30,
      timeZone: values.timeZone,
      multiplier: parseNumber(values.multiplier),
      maxKwhPerInterval:
        values.maxKwhPerInterval.trim() === '' ? null : parseNumber(values.maxKwhPerInterval),
      installedAt,
    });
  };
  const text = (name: keyof typeof emptyMeter, label: string, hint?: string, list?: string) => (
    <Field id={`${id}-${name}`} label={label} error={errors[name]} hint={hint}>
      <input
        id={`${id}-${name}`}
        value={values[name]}
        onChange={set(name)}
        list={list}
        readOnly={name === 'id' && meter !== undefined}
        {...describedBy(`${id}-${name}`, errors[name], hint)}
      />
    </Field>
  );
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={meter ? `Meter ${meter.id}` : 'Register a meter'}
    >
      {text(
        'id',
        'Meter id',
        meter ? 'Fixed once registered.' : 'As the head-end sends it: 1 to 64 characters.',
      )}
      {text('customerId', 'Customer id', 'An existing, active customer.')}
      {text('tariffId', 'Tariff id', 'An existing, active tariff.')}
      {text('region', 'Region', 'For aggregation and settlement, e.g. london, north-west.')}
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
      <Field
        id={`${id}-intervalMinutes`}
        label="Interval"
        error={errors.intervalMinutes}
        hint="Cannot change once readings are stored."
      >
        <select
          id={`${id}-intervalMinutes`}
          value={values.intervalMinutes}
          onChange={set('intervalMinutes')}
          {...describedBy(
            `${id}-intervalMinutes`,
            errors.intervalMinutes,
            'Cannot change once readings are stored.',
          )}
        >
          <option value="15">15 minutes</option>
          <option value="30">30 minutes</option>
        </select>
      </Field>
      {text('timeZone', 'Time zone (IANA)', 'Its local day is the day of usage and billing.', `${id}-zones`)}
      <datalist id={`${id}-zones`}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {text('multiplier', 'CT/VT multiplier', 'Applied by the head-end; kept for audit.')}
      {text(
        'maxKwhPerInterval',
        'Maximum kWh per interval',
        'Empty: the breaker limit of the segment and interval.',
      )}
      <Field id={`${id}-installedAt`} label="Installed at (UTC)" error={errors.installedAt}>
        <input
          id={`${id}-installedAt`}
          type="datetime-local"
          value={values.installedAt}
          onChange={set('installedAt')}
          {...describedBy(`${id}-installedAt`, errors.installedAt)}
        />
      </Field>
      <FormProblemMessage problem={problem} errors={errors} />
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {meter ? 'Save meter' : mutation.isPending ? 'Registering…' : 'Register meter'}
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

function RegisterMeter() {
  const [registered, setRegistered] = useState<string | null>(null);
  return (
    <Panel
      title="Register a meter"
      description="The worker looks up every meter id it does not know in Postgres on each batch, so readings of a new meter are accepted at once, without a restart."
      name="register-meter"
    >
      <MeterForm onCreated={setRegistered} />
      {registered ? <RegisteredMeter meterId={registered} /> : null}
    </Panel>
  );
}

/** After registering: the meter's readings quarantined as unknown_meter, offered for re-drive. */
function RegisteredMeter({ meterId }: { meterId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const count = useQuery(trpc.rejects.redriveMeterCount.queryOptions({ meterId }));
  const redrive = useMutation(
    trpc.rejects.redriveMeter.mutationOptions({
      onSuccess: () =>
        queryClient.invalidateQueries({ queryKey: trpc.rejects.redriveMeterCount.queryKey({ meterId }) }),
    }),
  );
  const open = count.data?.open ?? 0;
  return (
    <div className="field--wide" data-registered={meterId}>
      <p className="form__success" role="status">
        Registered <span className="mono">{meterId}</span>. The worker accepts its readings from now on.
      </p>
      {redrive.isSuccess ? (
        <p className="form__success" role="status">
          Re-drove {formatCount(redrive.data.redriven)} quarantined readings in{' '}
          {formatCount(redrive.data.messages)} messages; the worker stores them as they arrive.
          {redrive.data.remaining > 0
            ? ` ${formatCount(redrive.data.remaining)} are left: re-drive again.`
            : ''}
        </p>
      ) : null}
      {open > 0 ? (
        <div className="row-actions">
          <p className="small">
            {formatCount(open)} readings of this meter were quarantined as{' '}
            <span className="mono">unknown_meter</span> before it was registered.
          </p>
          <button
            type="button"
            className="button button--primary button--small"
            disabled={redrive.isPending}
            onClick={() => redrive.mutate({ meterId })}
          >
            Re-drive {formatCount(open)} quarantined readings
          </button>
        </div>
      ) : count.isSuccess && !redrive.isSuccess ? (
        <p className="small muted">No readings of this meter are quarantined.</p>
      ) : null}
      {redrive.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(redrive.error).message}
        </p>
      ) : null}
    </div>
  );
}

function DeactivateMeter({ meter, onDone }: { meter: Meter; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [status, setStatus] = useState<'inactive' | 'removed'>('removed');
  const [removedAt, setRemovedAt] = useState(toUtcInput(new Date()));
  const deactivate = useMutation(
    trpc.registry.meters.deactivate.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.registry.meters.pathKey() });
        onDone();
      },
    }),
  );
  const problem = deactivate.isError ? describeProblem(deactivate.error) : null;
  const errors = { status: fieldMessage(problem, 'status'), removedAt: fieldMessage(problem, 'removedAt') };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    deactivate.mutate({
      id: meter.id,
      status,
      removedAt: status === 'removed' ? fromUtcInput(removedAt) : null,
    });
  };
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={`Deactivate meter ${meter.id}`}
    >
      <p className="field--wide small">
        <strong className="mono">{meter.id}</strong>: readings of an inactive meter are refused until further
        notice; a removed meter&apos;s readings are refused from its removal on. Stored readings stay.
      </p>
      <Field id={`${id}-status`} label="New status" error={errors.status}>
        <select
          id={`${id}-status`}
          value={status}
          onChange={(event) => setStatus(event.target.value as typeof status)}
        >
          <option value="removed">Removed</option>
          <option value="inactive">Inactive</option>
        </select>
      </Field>
      {status === 'removed' ? (
        <Field id={`${id}-removedAt`} label="Removed at (UTC)" error={errors.removedAt} hint="Empty: now.">
          <input
            id={`${id}-removedAt`}
            type="datetime-local"
            value={removedAt}
            onChange={(event) => setRemovedAt(event.target.value)}
            {...describedBy(`${id}-removedAt`, errors.removedAt, 'Empty: now.')}
          />
        </Field>
      ) : null}
      <FormProblemMessage problem={problem} errors={errors} />
      <div className="row-actions field--wide">
        <button
          type="submit"
          className="button button--primary button--small"
          disabled={deactivate.isPending}
        >
          Deactivate
        </button>
        <button type="button" className="button button--small button--quiet" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ReactivateMeter({ meter }: { meter: Meter }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const reactivate = useMutation(
    trpc.registry.meters.reactivate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registry.meters.pathKey() }),
    }),
  );
  return (
    <>
      <button
        type="button"
        className="button button--small"
        disabled={reactivate.isPending}
        onClick={() => reactivate.mutate({ id: meter.id })}
        aria-label={`Reactivate meter ${meter.id}`}
      >
        Reactivate
      </button>
      {reactivate.isError ? (
        <span className="field__error" role="alert">
          {describeProblem(reactivate.error).message}
        </span>
      ) : null}
    </>
  );
}
