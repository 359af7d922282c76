'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import {
  settlementRunTypeLabels,
  settlementRunTypes,
  type SettlementRunType,
} from '@meterops/domain/settlement';
import { EChart } from '../charts/EChart';
import type { ChartOption } from '../charts/echarts';
import { describedBy, Field, FormProblemMessage } from '../registry/parts';
import { Panel } from '../ui/Panel';
import { QueryView } from '../ui/States';
import { describeProblem, fieldMessage } from '../../lib/form-errors';
import { formatCount, formatDecimal, formatShare, formatUtc } from '../../lib/format';
import { useTRPC, type RouterOutputs } from '../../trpc/client';

type Run = RouterOutputs['settlement']['runs'][number];
type Detail = RouterOutputs['settlement']['run'];

/** The settlement page: timetable, run requests, the run list and one run's totals, differences and causes. */
export function SettlementDashboard({ canEdit }: { canEdit: boolean }) {
  const [selected, setSelected] = useState<number | null>(null);
  return (
    <div className="dashboard">
      <TimetablePanel canEdit={canEdit} />
      {canEdit ? <RequestRunPanel /> : null}
      <RunsPanel selected={selected} onSelect={setSelected} />
      {selected !== null ? <RunDetailPanels id={selected} /> : null}
    </div>
  );
}

function TimetablePanel({ canEdit }: { canEdit: boolean }) {
  const trpc = useTRPC();
  const timetable = useQuery(trpc.settlement.timetable.queryOptions());
  return (
    <Panel
      title="Run timetable"
      description="Days after the settlement day each run is due; the worker runs what is due every hour."
      name="settlement-timetable"
    >
      <QueryView query={timetable} loadingLabel="Loading the timetable…">
        {(data) =>
          canEdit ? (
            <TimetableForm current={data} />
          ) : (
            <dl className="facts">
              {settlementRunTypes.map((type) => (
                <div key={type}>
                  <dt>{settlementRunTypeLabels[type]}</dt>
                  <dd>D+{data[type]}</dd>
                </div>
              ))}
            </dl>
          )
        }
      </QueryView>
    </Panel>
  );
}

function TimetableForm({ current }: { current: Record<SettlementRunType, number> }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [values, setValues] = useState(() =>
    Object.fromEntries(settlementRunTypes.map((type) => [type, String(current[type])])),
  );
  const [saved, setSaved] = useState(false);
  const update = useMutation(
    trpc.settlement.updateTimetable.mutationOptions({
      onSuccess: async () => {
        setSaved(true);
        await queryClient.invalidateQueries({ queryKey: trpc.settlement.timetable.queryKey() });
      },
    }),
  );
  const problem = update.isError ? describeProblem(update.error) : null;
  const errors = Object.fromEntries(settlementRunTypes.map((type) => [type, fieldMessage(problem, type)]));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const number = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
    update.mutate({
      initial: number(values.initial ?? ''),
      r1: number(values.r1 ?? ''),
      r2: number(values.r2 ?? ''),
      rf: number(values.rf ?? ''),
    });
  };
  return (
    <form className="form form--grid" onSubmit={submit} noValidate aria-label="Settlement timetable">
      {settlementRunTypes.map((type) => (
        <Field
          key={type}
          id={`${id}-${type}`}
          label={`${settlementRunTypeLabels[type]}: days after`}
          error={errors[type]}
        >
          <input
            id={`${id}-${type}`}
            inputMode="numeric"
            value={values[type] ?? ''}
            onChange={(event) => setValues((old) => ({ ...old, [type]: event.target.value }))}
            {...describedBy(`${id}-${type}`, errors[type])}
          />
        </Field>
      ))}
      <FormProblemMessage problem={problem} errors={errors} />
      {saved ? (
        <p className="form__success field--wide" role="status">
          Timetable saved.
        </p>
      ) : null}
      <div className="row-actions field--wide">
        <button type="submit" className="button button--primary" disabled={update.isPending}>
          Save timetable
        </button>
      </div>
    </form>
  );
}

function RequestRunPanel() {
  const trpc = useTRPC();
  const id = useId();
  const regions = useQuery(trpc.settlement.regions.queryOptions());
  const [values, setValues] = useState({ region: '', day: '', runType: 'initial' as SettlementRunType });
  const request = useMutation(trpc.settlement.request.mutationOptions());
  const problem = request.isError ? describeProblem(request.error) : null;
  const errors = {
    region: fieldMessage(problem, 'region'),
    day: fieldMessage(problem, 'day'),
    runType: fieldMessage(problem, 'runType'),
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate(values);
  };
  return (
    <Panel
      title="Request a run"
      description="Runs as a settlement-run job with progress; a repeat of a run type becomes its next version."
      name="settlement-request"
    >
      <form className="form form--grid" onSubmit={submit} noValidate aria-label="Request a settlement run">
        <Field id={`${id}-region`} label="Region" error={errors.region}>
          <select
            id={`${id}-region`}
            value={values.region}
            onChange={(event) => setValues((old) => ({ ...old, region: event.target.value }))}
            {...describedBy(`${id}-region`, errors.region)}
          >
            <option value="">Choose a region</option>
            {(regions.data ?? []).map((region) => (
              <option key={region.region} value={region.region}>
                {region.region} ({region.timeZone})
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${id}-day`} label="Settlement day" error={errors.day}>
          <input
            id={`${id}-day`}
            type="date"
            value={values.day}
            onChange={(event) => setValues((old) => ({ ...old, day: event.target.value }))}
            {...describedBy(`${id}-day`, errors.day)}
          />
        </Field>
        <Field id={`${id}-type`} label="Run type" error={errors.runType}>
          <select
            id={`${id}-type`}
            value={values.runType}
            onChange={(event) =>
              setValues((old) => ({ ...old, runType: event.target.value as SettlementRunType }))
            }
            {...describedBy(`${id}-type`, errors.runType)}
          >
            {settlementRunTypes.map((type) => (
              <option key={type} value={type}>
                {settlementRunTypeLabels[type]}
              </option>
            ))}
          </select>
        </Field>
        <FormProblemMessage problem={problem} errors={errors} />
        {request.data ? (
          <p className="form__success field--wide" role="status">
            Requested: <a href={`/admin/jobs/${request.data.id}`}>follow the job run</a>.
          </p>
        ) : null}
        <div className="row-actions field--wide">
          <button type="submit" className="button button--primary" disabled={request.isPending}>
            Request run
          </button>
        </div>
      </form>
    </Panel>
  );
}

function RunsPanel({ selected, onSelect }: { selected: number | null; onSelect: (id: number) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [filter, setFilter] = useState({ region: '', day: '' });
  const regions = useQuery(trpc.settlement.regions.queryOptions());
  const runs = useQuery(
    trpc.settlement.runs.queryOptions({
      region: filter.region || undefined,
      day: /^\d{4}-\d{2}-\d{2}$/.test(filter.day) ? filter.day : undefined,
    }),
  );
  return (
    <Panel
      title="Runs"
      name="settlement-runs"
      description="Newest day first; within a day and region the latest run first."
      actions={
        <div className="row-actions">
          <label className="visually-hidden" htmlFor={`${id}-region`}>
            Region
          </label>
          <select
            id={`${id}-region`}
            value={filter.region}
            onChange={(event) => setFilter((old) => ({ ...old, region: event.target.value }))}
          >
            <option value="">All regions</option>
            {(regions.data ?? []).map((region) => (
              <option key={region.region} value={region.region}>
                {region.region}
              </option>
            ))}
          </select>
          <label className="visually-hidden" htmlFor={`${id}-day`}>
            Day
          </label>
          <input
            id={`${id}-day`}
            type="date"
            value={filter.day}
            onChange={(event) => setFilter((old) => ({ ...old, day: event.target.value }))}
          />
        </div>
      }
    >
      <QueryView
        query={runs}
        loadingLabel="Loading runs…"
        isEmpty={(data) => data.length === 0}
        empty="No settlement run yet for this selection."
      >
        {(data) => (
          <div className="table-scroll">
            <table className="table table--compact" data-table="settlement-runs">
              <caption className="visually-hidden">Settlement runs</caption>
              <thead>
                <tr>
                  <th scope="col">Day · region</th>
                  <th scope="col">Run</th>
                  <th scope="col">As of (UTC)</th>
                  <th scope="col">Periods</th>
                  <th scope="col">Readings</th>
                  <th scope="col">kWh</th>
                  <th scope="col">Estimated</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.map((run) => (
                  <RunRow key={run.id} run={run} selected={selected === run.id} onSelect={onSelect} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Panel>
  );
}

function RunRow({
  run,
  selected,
  onSelect,
}: {
  run: Run;
  selected: boolean;
  onSelect: (id: number) => void;
}) {
  return (
    <tr data-run={run.id} aria-selected={selected}>
      <th scope="row">
        {run.day} · {run.region}
      </th>
      <td>
        {settlementRunTypeLabels[run.runType]} v{run.version}
        {run.previousRunId !== null ? (
          <span className="muted small"> (after #{run.previousRunId})</span>
        ) : null}
      </td>
      <td>{formatUtc(run.asOf)}</td>
      <td>{run.periods}</td>
      <td>{formatCount(run.readings)}</td>
      <td className="num">{formatDecimal(run.kwh)}</td>
      <td>{formatShare(Number(run.estimatedKwh), Number(run.kwh))}</td>
      <td>
        <button
          type="button"
          className="button button--small"
          onClick={() => onSelect(run.id)}
          aria-label={`Show run ${run.id}`}
        >
          Show
        </button>
      </td>
    </tr>
  );
}

function RunDetailPanels({ id }: { id: number }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.settlement.run.queryOptions({ id }));
  return (
    <QueryView query={detail} loadingLabel="Loading the run…">
      {(data) => (
        <>
          <SupplierTotalsPanel detail={data} />
          {data.run.previousRunId !== null ? <DifferencesPanel detail={data} /> : null}
        </>
      )}
    </QueryView>
  );
}

function SupplierTotalsPanel({ detail }: { detail: Detail }) {
  const trpc = useTRPC();
  const { run } = detail;
  const reproduce = useMutation(trpc.settlement.reproduce.mutationOptions());
  return (
    <Panel
      title={`Run #${run.id}: ${run.region} ${run.day}, ${settlementRunTypeLabels[run.runType]} v${run.version}`}
      name="settlement-run"
      description={`As of ${formatUtc(run.asOf)} UTC in ${run.timeZone}, ${run.periods} periods, code ${run.codeVersion}. Suppliers' total ${formatDecimal(run.kwh)} kWh = the region's metered ${formatDecimal(run.regionKwh)} kWh.`}
      actions={
        <button
          type="button"
          className="button button--small"
          disabled={reproduce.isPending}
          onClick={() => reproduce.mutate({ id: run.id })}
        >
          Reproduce from history
        </button>
      }
    >
      {reproduce.data ? (
        <p className={reproduce.data.matches ? 'form__success' : 'form__error'} role="status">
          {reproduce.data.matches
            ? `Reproduced exactly: ${formatDecimal(reproduce.data.reproducedKwh)} kWh, every supplier and period identical.`
            : `Reproduction differs in ${reproduce.data.mismatches.length} supplier periods (${formatDecimal(reproduce.data.reproducedKwh)} kWh).`}
        </p>
      ) : null}
      {reproduce.isError ? (
        <p className="form__error" role="alert">
          {describeProblem(reproduce.error).message}
        </p>
      ) : null}
      <div className="table-scroll">
        <table className="table table--compact" data-table="settlement-suppliers">
          <caption className="visually-hidden">Energy per supplier</caption>
          <thead>
            <tr>
              <th scope="col">Supplier</th>
              <th scope="col">kWh</th>
              <th scope="col">Estimated kWh</th>
              <th scope="col">Estimated share</th>
              <th scope="col">Readings</th>
              <th scope="col">Settlement file</th>
            </tr>
          </thead>
          <tbody>
            {detail.suppliers.map((supplier) => (
              <tr key={supplier.supplierId} data-supplier={supplier.supplierId}>
                <th scope="row">
                  {supplier.supplierName ?? supplier.supplierId}
                  <br />
                  <span className="mono muted">{supplier.supplierId}</span>
                </th>
                <td className="num">{formatDecimal(supplier.kwh)}</td>
                <td className="num">{formatDecimal(supplier.estimatedKwh)}</td>
                <td>{formatShare(Number(supplier.estimatedKwh), Number(supplier.kwh))}</td>
                <td>{formatCount(supplier.readings)}</td>
                <td>
                  <a
                    href={`/ops/settlement/file?run=${run.id}&supplier=${encodeURIComponent(supplier.supplierId)}`}
                    download
                  >
                    CSV
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Panel>
  );
}

function DifferencesPanel({ detail }: { detail: Detail }) {
  const { run, differences, causes } = detail;
  const option = useMemo<ChartOption>(() => {
    const suppliers = [...new Set(differences.map((row) => row.supplierId))].sort();
    const periods = Array.from({ length: run.periods }, (_, index) => index + 1);
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 16, top: 32, bottom: 40 },
      xAxis: { type: 'category', data: periods.map(String), name: 'Period' },
      yAxis: { type: 'value', name: 'kWh change' },
      series: suppliers.map((supplier) => ({
        name: supplier,
        type: 'bar',
        stack: 'delta',
        data: periods.map((period) =>
          Number(
            differences.find((row) => row.supplierId === supplier && row.period === period)?.kwhDelta ?? 0,
          ),
        ),
      })),
    };
  }, [differences, run.periods]);
  return (
    <Panel
      title={`Differences from run #${run.previousRunId}`}
      name="settlement-differences"
      description={`${differences.length} supplier periods changed; ${causes.length + detail.moreCauses} readings behind them.`}
    >
      {differences.length === 0 ? (
        <p className="muted">Nothing changed since the previous run.</p>
      ) : (
        <>
          <EChart
            option={option}
            label="kWh change per period and supplier"
            name="settlement-differences"
            height={280}
          />
          <div className="table-scroll">
            <table className="table table--compact" data-table="settlement-differences">
              <caption className="visually-hidden">Changes per supplier and period</caption>
              <thead>
                <tr>
                  <th scope="col">Supplier</th>
                  <th scope="col">Period</th>
                  <th scope="col">Before kWh</th>
                  <th scope="col">After kWh</th>
                  <th scope="col">Change kWh</th>
                </tr>
              </thead>
              <tbody>
                {differences.map((row) => (
                  <tr key={`${row.supplierId}/${row.period}`}>
                    <th scope="row">{row.supplierId}</th>
                    <td>{row.period}</td>
                    <td className="num">{formatDecimal(row.kwhBefore)}</td>
                    <td className="num">{formatDecimal(row.kwhAfter)}</td>
                    <td className="num">{formatDecimal(row.kwhDelta)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {causes.length > 0 ? (
        <div className="table-scroll">
          <table className="table table--compact" data-table="settlement-causes">
            <caption>
              Readings behind the changes
              {detail.moreCauses > 0 ? ` (first ${causes.length}, ${detail.moreCauses} more)` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">Meter</th>
                <th scope="col">Interval (UTC)</th>
                <th scope="col">Period</th>
                <th scope="col">Cause</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Supplier</th>
                <th scope="col">Revisions</th>
              </tr>
            </thead>
            <tbody>
              {causes.map((cause) => (
                <tr key={`${cause.meterId}/${cause.intervalStart.toISOString()}`}>
                  <th scope="row" className="mono">
                    <a href={`/service/meters/${encodeURIComponent(cause.meterId)}`}>{cause.meterId}</a>
                  </th>
                  <td>{formatUtc(cause.intervalStart)}</td>
                  <td>{cause.period}</td>
                  <td>{cause.cause.replaceAll('_', ' ')}</td>
                  <td>
                    {cause.kwhBefore === null ? '–' : `${cause.kwhBefore} ${cause.qualityBefore ?? ''}`}
                  </td>
                  <td>{cause.kwhAfter === null ? '–' : `${cause.kwhAfter} ${cause.qualityAfter ?? ''}`}</td>
                  <td>
                    {cause.supplierBefore === cause.supplierAfter
                      ? cause.supplierAfter
                      : `${cause.supplierBefore ?? '–'} → ${cause.supplierAfter ?? '–'}`}
                  </td>
                  <td className="mono">
                    {cause.revisionIds.map((revision) => `#${revision}`).join(' ') || '–'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </Panel>
  );
}
