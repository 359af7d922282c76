'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../ui/Panel';
import { formatDecimal, formatUtc } from '../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../lib/form-errors';
import { formatLocalInterval } from '../../lib/local-time';
import { useTRPC, type RouterOutputs } from '../../trpc/client';
import type { ServiceInterval } from './MeterWorkspace';
import { FlagTags, ReadingQuality } from './ReadingBadges';

type CorrectionResult = RouterOutputs['readings']['correct'];

/**
 * Changes one interval's value with a mandatory reason. The server validates (zod) and answers field
 * errors, shown next to their fields; the result says what the correction changed downstream.
 */
export function CorrectionPanel({
  meterId,
  day,
  timeZone,
  intervalMinutes,
  interval,
  onClose,
}: {
  meterId: string;
  day: string;
  timeZone: string;
  intervalMinutes: number;
  interval: ServiceInterval;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [kwh, setKwh] = useState(interval.kwh ?? '');
  const [reason, setReason] = useState('');
  const [result, setResult] = useState<CorrectionResult | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.service.day.queryKey({ meterId, day }) }),
      queryClient.invalidateQueries({ queryKey: trpc.service.revisions.queryKey({ meterId, day }) }),
      queryClient.invalidateQueries({ queryKey: trpc.service.meter.queryKey({ meterId }) }),
    ]);
  const correct = useMutation(
    trpc.readings.correct.mutationOptions({
      onSuccess: async (outcome) => {
        setResult(outcome);
        setReason('');
        await refresh();
      },
    }),
  );
  const problem: FormProblem | null = correct.isError ? describeProblem(correct.error) : null;
  const kwhError = fieldMessage(problem, 'kwh');
  const reasonError = fieldMessage(problem, 'reason');
  const label = formatLocalInterval(interval.intervalStart, intervalMinutes, timeZone);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(null);
    correct.mutate({
      meterId,
      intervalStart: interval.intervalStart,
      kwh,
      reason,
      expectedVersion: interval.version,
    });
  };

  return (
    <Panel
      title={`Correct ${label}`}
      description={`${day}, ${formatUtc(interval.intervalStart, { seconds: false })}`}
      name="correction"
      actions={
        <button type="button" className="button button--small button--quiet" onClick={onClose}>
          Close
        </button>
      }
    >
      <dl className="facts facts--compact">
        <div>
          <dt>Now</dt>
          <dd>{interval.kwh === null ? 'missing' : `${formatDecimal(interval.kwh)} kWh`}</dd>
        </div>
        <div>
          <dt>Quality</dt>
          <dd>
            <ReadingQuality quality={interval.quality} method={interval.estimationMethod} />
          </dd>
        </div>
        {interval.flags.length > 0 ? (
          <div>
            <dt>Flags</dt>
            <dd>
              <FlagTags flags={interval.flags} />
            </dd>
          </div>
        ) : null}
        <div>
          <dt>Version</dt>
          <dd>{interval.version ?? '–'}</dd>
        </div>
      </dl>
      <form
        className="form"
        onSubmit={submit}
        noValidate
        aria-describedby={problem ? `${id}-problem` : undefined}
      >
        <div className="field">
          <label htmlFor={`${id}-kwh`}>New value (kWh)</label>
          <input
            id={`${id}-kwh`}
            name="kwh"
            inputMode="decimal"
            autoComplete="off"
            value={kwh}
            onChange={(event) => setKwh(event.target.value)}
            aria-invalid={kwhError ? true : undefined}
            aria-describedby={kwhError ? `${id}-kwh-error` : `${id}-kwh-hint`}
          />
          {kwhError ? (
            <p id={`${id}-kwh-error`} className="field__error">
              {kwhError}
            </p>
          ) : (
            <p id={`${id}-kwh-hint`} className="field__hint">
              Up to 4 decimals, as the meter measures.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${id}-reason`}>Reason</label>
          <textarea
            id={`${id}-reason`}
            name="reason"
            rows={3}
            value={reason}
            onChange={(event) => setReason(event.target.value)}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${id}-reason-error` : `${id}-reason-hint`}
          />
          {reasonError ? (
            <p id={`${id}-reason-error`} className="field__error">
              {reasonError}
            </p>
          ) : (
            <p id={`${id}-reason-hint`} className="field__hint">
              Kept in the audit trail, e.g. “Customer photo of the register shows 0.412 kWh”.
            </p>
          )}
        </div>
        {problem ? (
          <p id={`${id}-problem`} className="form__error" role="alert">
            {problem.message}
          </p>
        ) : null}
        <button type="submit" className="button button--primary" disabled={correct.isPending}>
          {correct.isPending ? 'Saving…' : 'Save correction'}
        </button>
      </form>
      {result ? <DownstreamResult result={result} /> : null}
    </Panel>
  );
}

const levelLabels = {
  hourly: 'Hour',
  daily: 'Day',
  dimension: 'Dimension',
  settlement: 'Settlement period',
} as const;

/** `+0.1234` or `-0.1234` between two decimal texts; null when either is missing. */
function delta(before: string | null, after: string | null): string | null {
  if (before === null || after === null) return null;
  const scale = 10_000n;
  const units = (text: string) => {
    const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
    const value = BigInt(whole) * scale + BigInt(fraction.padEnd(4, '0').slice(0, 4));
    return text.startsWith('-') ? -value : value;
  };
  const difference = units(after) - units(before);
  const magnitude = difference < 0n ? -difference : difference;
  return `${difference < 0n ? '-' : '+'}${magnitude / scale}.${String(magnitude % scale).padStart(4, '0')}`;
}

/** What a correction changed: the reading, every aggregate row it moved, and any billing alert it raised. */
function DownstreamResult({ result }: { result: CorrectionResult }) {
  return (
    <div className="downstream" role="status" data-result="correction">
      <p className="downstream__title">
        {result.changed ? (
          <>
            Saved as version {result.version}:{' '}
            {result.kwhBefore === null ? 'new value' : `${formatDecimal(result.kwhBefore)} kWh`} →{' '}
            <strong>{formatDecimal(result.kwhAfter)} kWh</strong>
          </>
        ) : (
          'The reading already had this corrected value; nothing changed.'
        )}
      </p>
      {result.changed ? (
        <p className="small">
          {result.dayStatus === 'final'
            ? result.reprocessed
              ? `${result.day} was final: it has been reprocessed and is final again.`
              : `${result.day} was final: it is queued for reprocessing.`
            : `${result.day} is provisional: its real-time aggregates moved by the difference.`}
        </p>
      ) : null}
      {result.aggregates.length > 0 ? (
        <div>
          <p className="downstream__caption">Aggregates changed</p>
          <ul className="changes" data-list="downstream">
            {result.aggregates.map((change) => (
              <li key={`${change.level}/${change.key}`} data-level={change.level}>
                <span className="changes__what">
                  <strong>{levelLabels[change.level]}</strong> <span className="muted">{change.key}</span>
                </span>
                <span className="changes__values">
                  {change.kwhBefore === null ? 'new' : formatDecimal(change.kwhBefore)} →{' '}
                  {change.kwhAfter === null ? '–' : formatDecimal(change.kwhAfter)} kWh
                  {delta(change.kwhBefore, change.kwhAfter) ? (
                    <span className="changes__delta"> ({delta(change.kwhBefore, change.kwhAfter)})</span>
                  ) : null}
                  {change.statusBefore !== change.statusAfter ? (
                    <span className="muted">
                      {' '}
                      · {change.statusBefore ?? 'none'} → {change.statusAfter ?? 'none'}
                    </span>
                  ) : (
                    <span className="muted"> · {change.statusAfter ?? '–'}</span>
                  )}
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {result.alerts.length > 0 ? (
        <div className="downstream__alerts">
          <p className="small">
            <strong>
              {result.alerts.length} billing alert{result.alerts.length === 1 ? '' : 's'} raised
            </strong>
            : the day lies in an invoiced billing period.
          </p>
          <ul className="small">
            {result.alerts.map((alert) => (
              <li key={alert.id} data-alert={alert.id}>
                Billing period #{alert.billingPeriodId}, {alert.day}: {formatDecimal(alert.kwhBefore)} →{' '}
                {formatDecimal(alert.kwhAfter)} kWh ({alert.kwhDelta.startsWith('-') ? '' : '+'}
                {formatDecimal(alert.kwhDelta)})
              </li>
            ))}
          </ul>
        </div>
      ) : result.changed ? (
        <p className="small muted">No billing alert: the day is not in an invoiced billing period.</p>
      ) : null}
    </div>
  );
}
