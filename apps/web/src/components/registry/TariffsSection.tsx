'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { tariffKinds } from '../../lib/registry-params';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import {
  describedBy,
  Field,
  FormProblemMessage,
  PageNav,
  parseNumber,
  SearchBox,
  usePagedSearch,
  DeactivationStatus,
  EditDeactivateActions,
} from './parts';

type Tariff = RouterOutputs['registry']['tariffs']['list']['rows'][number];
type Kind = (typeof tariffKinds)[number];
const kindLabels: Record<Kind, string> = { flat: 'Flat', time_of_use: 'Time of use' };

/** A window as typed: weekdays as "1-5" or "1,2,3" (1 = Monday). */
interface WindowText {
  name: string;
  fromHour: string;
  toHour: string;
  weekdays: string;
  pricePerKwh: string;
}

function weekdaysText(days: number[]): string {
  const sorted = [...days].sort();
  const first = sorted[0];
  const last = sorted.at(-1);
  const contiguous = first !== undefined && last !== undefined && last - first + 1 === sorted.length;
  return contiguous && sorted.length > 2 ? `${first}-${last}` : sorted.join(',');
}

/** "1-5" → [1..5], "6,7" → [6, 7]; anything unreadable becomes NaN for the schema to refuse. */
function parseWeekdays(text: string): number[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .flatMap((part) => {
      const range = /^(\d)\s*-\s*(\d)$/.exec(part);
      if (range) {
        const from = Number(range[1]);
        const to = Number(range[2]);
        return Array.from({ length: Math.max(to - from + 1, 0) }, (_, index) => from + index);
      }
      return [Number(part)];
    });
}

/** Tariffs: read by customer service, kept by administrators. */
export function TariffsSection({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const id = useId();
  const paging = usePagedSearch();
  const tariffs = useQuery(trpc.registry.tariffs.list.queryOptions(paging.input));
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <div className="dashboard">
      {canEdit ? (
        <Panel title="Create a tariff" name="create-tariff">
          <TariffForm />
        </Panel>
      ) : null}
      <Panel
        title="Tariffs"
        description="Time-of-use windows are local wall-clock hours [from, to) of the meter's time zone."
        name="registry-tariffs"
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
          query={tariffs}
          loadingLabel="Loading tariffs…"
          isEmpty={(data) => data.rows.length === 0}
          empty="No tariff matches."
        >
          {(data) => (
            <>
              <div className="table-scroll">
                <table className="table table--compact" data-table="registry-tariffs">
                  <caption className="visually-hidden">Tariffs of the registry</caption>
                  <thead>
                    <tr>
                      <th scope="col">Tariff</th>
                      <th scope="col">Kind</th>
                      <th scope="col">Base price / kWh</th>
                      <th scope="col">Windows</th>
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
                    {data.rows.map((tariff) =>
                      editing === tariff.id ? (
                        <tr key={tariff.id} className="row--form" data-tariff={tariff.id}>
                          <td colSpan={7}>
                            <TariffForm tariff={tariff} onDone={() => setEditing(null)} />
                          </td>
                        </tr>
                      ) : (
                        <TariffRow
                          key={tariff.id}
                          tariff={tariff}
                          canEdit={canEdit}
                          onEdit={() => setEditing(tariff.id)}
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

function TariffRow({ tariff, canEdit, onEdit }: { tariff: Tariff; canEdit: boolean; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deactivate = useMutation(
    trpc.registry.tariffs.deactivate.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.registry.tariffs.pathKey() }),
    }),
  );
  const problem = deactivate.isError ? describeProblem(deactivate.error) : null;
  return (
    <tr data-tariff={tariff.id}>
      <th scope="row">
        {tariff.name}
        <br />
        <span className="mono muted">{tariff.id}</span>
      </th>
      <td>{kindLabels[tariff.kind]}</td>
      <td className="mono">{tariff.basePricePerKwh}</td>
      <td className="small-cell">
        {tariff.windows.length === 0 ? (
          <span className="muted">–</span>
        ) : (
          tariff.windows.map((window) => (
            <div key={window.name}>
              {window.name}: {window.fromHour}–{window.toHour} h, days {weekdaysText(window.weekdays)},{' '}
              <span className="mono">{window.pricePerKwh}</span>
            </div>
          ))
        )}
      </td>
      <td>{tariff.activeMeters}</td>
      <DeactivationStatus deactivatedAt={tariff.deactivatedAt} problem={problem} />
      {canEdit ? (
        <EditDeactivateActions
          noun="tariff"
          id={tariff.id}
          deactivated={tariff.deactivatedAt !== null}
          pending={deactivate.isPending}
          onEdit={onEdit}
          onDeactivate={() => deactivate.mutate({ id: tariff.id })}
        />
      ) : null}
    </tr>
  );
}

const fieldNames = ['id', 'name', 'kind', 'basePricePerKwh', 'windows'] as const;
const basePriceHint = 'Every kWh of a flat tariff; hours outside every window otherwise.';
const emptyWindow: WindowText = { name: '', fromHour: '0', toHour: '7', weekdays: '1-7', pricePerKwh: '' };

function TariffForm({ tariff, onDone }: { tariff?: Tariff; onDone?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [values, setValues] = useState<{ id: string; name: string; kind: Kind; basePricePerKwh: string }>({
    id: tariff?.id ?? '',
    name: tariff?.name ?? '',
    kind: tariff?.kind ?? 'flat',
    basePricePerKwh: tariff ? String(tariff.basePricePerKwh) : '',
  });
  const [windows, setWindows] = useState<WindowText[]>(
    (tariff?.windows ?? []).map((window) => ({
      name: window.name,
      fromHour: String(window.fromHour),
      toHour: String(window.toHour),
      weekdays: weekdaysText(window.weekdays),
      pricePerKwh: String(window.pricePerKwh),
    })),
  );
  const [created, setCreated] = useState<string | null>(null);
  const onSuccess = async (saved: { id: string }) => {
    await queryClient.invalidateQueries({ queryKey: trpc.registry.tariffs.pathKey() });
    if (tariff === undefined) {
      setCreated(saved.id);
      setValues({ id: '', name: '', kind: 'flat', basePricePerKwh: '' });
      setWindows([]);
    }
    onDone?.();
  };
  const create = useMutation(trpc.registry.tariffs.create.mutationOptions({ onSuccess }));
  const update = useMutation(trpc.registry.tariffs.update.mutationOptions({ onSuccess }));
  const mutation = tariff ? update : create;
  const problem = mutation.isError ? describeProblem(mutation.error) : null;
  const errors = Object.fromEntries(fieldNames.map((name) => [name, fieldMessage(problem, name)])) as Record<
    (typeof fieldNames)[number],
    string | undefined
  >;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    mutation.mutate({
      id: values.id,
      name: values.name,
      kind: values.kind,
      basePricePerKwh: parseNumber(values.basePricePerKwh),
      windows:
        values.kind === 'flat'
          ? []
          : windows.map((window) => ({
              name: window.name,
              fromHour: parseNumber(window.fromHour),
              toHour: parseNumber(window.toHour),
              weekdays: parseWeekdays(window.weekdays),
              pricePerKwh: parseNumber(window.pricePerKwh),
            })),
    });
  };
  const setWindow = (index: number, name: keyof WindowText, value: string) =>
    setWindows((current) =>
      current.map((window, at) => (at === index ? { ...window, [name]: value } : window)),
    );
  return (
    <form
      className="form form--grid"
      onSubmit={submit}
      noValidate
      aria-label={tariff ? `Tariff ${tariff.id}` : 'Create a tariff'}
    >
      <Field
        id={`${id}-id`}
        label="Tariff id"
        error={errors.id}
        hint={tariff ? 'Fixed once created.' : 'e.g. RES-FLAT'}
      >
        <input
          id={`${id}-id`}
          value={values.id}
          readOnly={tariff !== undefined}
          onChange={(event) => setValues({ ...values, id: event.target.value })}
          {...describedBy(`${id}-id`, errors.id, tariff ? 'Fixed once created.' : 'e.g. RES-FLAT')}
        />
      </Field>
      <Field id={`${id}-name`} label="Name" error={errors.name}>
        <input
          id={`${id}-name`}
          value={values.name}
          onChange={(event) => setValues({ ...values, name: event.target.value })}
          {...describedBy(`${id}-name`, errors.name)}
        />
      </Field>
      <Field id={`${id}-kind`} label="Kind" error={errors.kind}>
        <select
          id={`${id}-kind`}
          value={values.kind}
          onChange={(event) => {
            const kind = event.target.value as Kind;
            setValues({ ...values, kind });
            if (kind === 'time_of_use' && windows.length === 0) setWindows([emptyWindow]);
          }}
        >
          {tariffKinds.map((kind) => (
            <option key={kind} value={kind}>
              {kindLabels[kind]}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id={`${id}-basePricePerKwh`}
        label="Base price per kWh"
        error={errors.basePricePerKwh}
        hint={basePriceHint}
      >
        <input
          id={`${id}-basePricePerKwh`}
          inputMode="decimal"
          value={values.basePricePerKwh}
          onChange={(event) => setValues({ ...values, basePricePerKwh: event.target.value })}
          {...describedBy(`${id}-basePricePerKwh`, errors.basePricePerKwh, basePriceHint)}
        />
      </Field>
      {values.kind === 'time_of_use' ? (
        <fieldset
          className="field field--wide"
          aria-describedby={errors.windows ? `${id}-windows-error` : undefined}
        >
          <legend>Time-of-use windows</legend>
          {windows.map((window, index) => (
            <div key={index} className="row-actions" data-window={index + 1}>
              <input
                aria-label={`Window ${index + 1} name`}
                placeholder="name"
                value={window.name}
                onChange={(event) => setWindow(index, 'name', event.target.value)}
              />
              <input
                aria-label={`Window ${index + 1} from hour`}
                inputMode="numeric"
                size={3}
                value={window.fromHour}
                onChange={(event) => setWindow(index, 'fromHour', event.target.value)}
              />
              <input
                aria-label={`Window ${index + 1} to hour`}
                inputMode="numeric"
                size={3}
                value={window.toHour}
                onChange={(event) => setWindow(index, 'toHour', event.target.value)}
              />
              <input
                aria-label={`Window ${index + 1} weekdays (1 = Monday)`}
                size={8}
                value={window.weekdays}
                onChange={(event) => setWindow(index, 'weekdays', event.target.value)}
              />
              <input
                aria-label={`Window ${index + 1} price per kWh`}
                inputMode="decimal"
                placeholder="price"
                size={8}
                value={window.pricePerKwh}
                onChange={(event) => setWindow(index, 'pricePerKwh', event.target.value)}
              />
              <button
                type="button"
                className="button button--small button--quiet"
                onClick={() => setWindows(windows.filter((_, at) => at !== index))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button button--small"
            onClick={() => setWindows([...windows, emptyWindow])}
          >
            Add a window
          </button>
          {errors.windows ? (
            <p id={`${id}-windows-error`} className="field__error">
              {errors.windows}
            </p>
          ) : (
            <p className="field__hint">
              Name, from hour (0–23), to hour (1–24, exclusive), weekdays as 1-5 or 6,7, price per kWh.
            </p>
          )}
        </fieldset>
      ) : null}
      <FormProblemMessage problem={problem} errors={errors} />
      {created ? (
        <p className="form__success field--wide" role="status">
          Created tariff <span className="mono">{created}</span>.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={mutation.isPending}>
          {tariff ? 'Save tariff' : 'Create tariff'}
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
