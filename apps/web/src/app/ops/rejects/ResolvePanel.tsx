'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { Panel } from '../../../components/ui/Panel';
import { formatCount, formatRule } from '../../../lib/format';
import { describeProblem, fieldMessage, type FormProblem } from '../../../lib/form-errors';
import type { REJECT_RESOLUTIONS } from '../../../lib/ops-params';
import { useTRPC, type RouterOutputs } from '../../../trpc/client';

type Resolution = (typeof REJECT_RESOLUTIONS)[number];

export const resolutionLabels: Record<Resolution, string> = {
  open: 'Open',
  redriven: 'Re-driven',
  dismissed: 'Dismissed',
};

interface Selection {
  rule?: string;
  meterId?: string;
  from?: Date;
  to?: Date;
}

type Outcome =
  | { kind: 'redriven'; result: RouterOutputs['rejects']['redrive'] }
  | { kind: 'dismissed'; result: RouterOutputs['rejects']['dismiss'] };

const plural = (count: number, one: string, many = `${one}s`) =>
  `${formatCount(count)} ${count === 1 ? one : many}`;

/**
 * The actions on the open rejects of the current filters: a dry-run count first, then a re-drive through
 * ingest (after a confirmation) or a dismissal with a mandatory reason. Only open rejects are touched, at
 * most `perAction` per click; the result says how many remain.
 */
export function ResolvePanel({
  selection,
  resolutionFilter,
}: {
  selection: Selection;
  resolutionFilter: Resolution | null;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const actsOnOpen = resolutionFilter === null || resolutionFilter === 'open';

  const count = useQuery(trpc.rejects.openCount.queryOptions(selection, { enabled: actsOnOpen }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.rejects.pathKey() });
  const redrive = useMutation(
    trpc.rejects.redrive.mutationOptions({
      onSuccess: async (result) => {
        setOutcome({ kind: 'redriven', result });
        setConfirming(false);
        await refresh();
      },
    }),
  );
  const dismiss = useMutation(
    trpc.rejects.dismiss.mutationOptions({
      onSuccess: async (result) => {
        setOutcome({ kind: 'dismissed', result });
        setReason('');
        await refresh();
      },
    }),
  );
  const failed = redrive.isError ? redrive.error : dismiss.isError ? dismiss.error : null;
  const problem: FormProblem | null = failed ? describeProblem(failed) : null;
  const reasonError = fieldMessage(problem, 'reason');
  const busy = redrive.isPending || dismiss.isPending;

  const submitDismissal = (event: FormEvent) => {
    event.preventDefault();
    setOutcome(null);
    redrive.reset();
    dismiss.mutate({ ...selection, reason });
  };

  const open = count.data?.open ?? 0;
  const perAction = count.data?.perAction ?? 0;
  const scope = [
    selection.rule ? formatRule(selection.rule) : 'every rule',
    selection.meterId ? `meter ${selection.meterId}` : 'every meter',
    selection.from || selection.to ? 'the time range' : 'any time',
  ].join(', ');

  return (
    <Panel
      title="Resolve"
      description="Re-drive sends the open rejects through ingest again, with the same validation as any message; dismiss sets them aside with a reason. Only open rejects are touched."
      name="resolve"
    >
      {!actsOnOpen ? (
        <p className="muted" data-resolve="not-open">
          Only open rejects can be re-driven or dismissed. Set the resolution filter to Open or Any to act on
          them.
        </p>
      ) : count.isPending ? (
        <p className="muted">Counting open rejects…</p>
      ) : count.isError ? (
        <p className="form__error" role="alert">
          The open rejects could not be counted; try again in a moment.
        </p>
      ) : (
        <>
          <p data-open-count={open}>
            <strong>{plural(open, 'open reject')}</strong> under {scope}.
            {open > perAction
              ? ` One action resolves at most ${formatCount(perAction)}; run it again for the rest.`
              : ''}
          </p>
          {open > 0 ? (
            <div className="resolve-actions">
              <div className="resolve-actions__redrive">
                {confirming ? (
                  <div role="group" aria-label="Confirm re-drive">
                    <p>
                      Send {plural(Math.min(open, perAction), 'reject')} to the readings topic again? Those
                      that pass validation now are stored; the others are quarantined again under their rule.
                    </p>
                    <button
                      type="button"
                      className="button button--primary button--small"
                      disabled={busy}
                      onClick={() => {
                        setOutcome(null);
                        dismiss.reset();
                        redrive.mutate(selection);
                      }}
                    >
                      {redrive.isPending ? 'Re-driving…' : 'Re-drive now'}
                    </button>{' '}
                    <button
                      type="button"
                      className="button button--small"
                      disabled={busy}
                      onClick={() => setConfirming(false)}
                    >
                      Cancel
                    </button>
                  </div>
                ) : (
                  <button
                    type="button"
                    className="button button--primary button--small"
                    disabled={busy}
                    onClick={() => setConfirming(true)}
                  >
                    Re-drive {plural(Math.min(open, perAction), 'reject')}…
                  </button>
                )}
              </div>
              <form className="form" onSubmit={submitDismissal} noValidate aria-label="Dismiss rejects">
                <div className="field">
                  <label htmlFor={`${id}-reason`}>Reason for dismissing</label>
                  <textarea
                    id={`${id}-reason`}
                    name="reason"
                    rows={2}
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
                      Kept on each reject, e.g. “Test meter on the bench; its readings are not billed”.
                    </p>
                  )}
                </div>
                <button type="submit" className="button button--small" disabled={busy}>
                  {dismiss.isPending
                    ? 'Dismissing…'
                    : `Dismiss ${plural(Math.min(open, perAction), 'reject')}`}
                </button>
              </form>
            </div>
          ) : null}
          {problem && !reasonError ? (
            <p className="form__error" role="alert">
              {problem.message}
            </p>
          ) : null}
        </>
      )}
      {outcome ? <OutcomeMessage outcome={outcome} /> : null}
      {selection.rule === 'unknown_meter' && selection.meterId ? (
        <MeterRedrive meterId={selection.meterId} />
      ) : null}
    </Panel>
  );
}

function OutcomeMessage({ outcome }: { outcome: Outcome }) {
  const { remaining } = outcome.result;
  return (
    <p className="downstream" role="status" data-result={outcome.kind}>
      {outcome.kind === 'redriven'
        ? `Re-drove ${plural(outcome.result.redriven, 'reject')} in ${plural(outcome.result.messages, 'message')}.`
        : `Dismissed ${plural(outcome.result.dismissed, 'reject')}.`}
      {remaining > 0 ? ` ${plural(remaining, 'open reject')} remain under these filters: run it again.` : ''}
    </p>
  );
}

/** A registered meter's unknown_meter rejects, re-driven whatever their time: what registering offers. */
function MeterRedrive({ meterId }: { meterId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const count = useQuery(trpc.rejects.redriveMeterCount.queryOptions({ meterId }));
  const redrive = useMutation(
    trpc.rejects.redriveMeter.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.rejects.pathKey() }),
    }),
  );
  if (!count.data) return null;
  const { open, registered } = count.data;
  return (
    <div className="meter-redrive" data-meter-redrive={meterId}>
      <h3 className="meter-redrive__title">Meter {meterId}</h3>
      {!registered ? (
        <p className="muted">
          {meterId} is not registered yet: its {plural(open, 'unknown-meter reject')} would be rejected again.
          Register the meter first.
        </p>
      ) : open === 0 ? (
        <p className="muted">{meterId} is registered and has no open unknown-meter rejects.</p>
      ) : (
        <p>
          {meterId} is registered now.{' '}
          <button
            type="button"
            className="button button--small"
            disabled={redrive.isPending}
            onClick={() => redrive.mutate({ meterId })}
          >
            {redrive.isPending ? 'Re-driving…' : `Re-drive its ${plural(open, 'unknown-meter reject')}`}
          </button>
        </p>
      )}
      {redrive.isSuccess ? (
        <p role="status" data-result="meter-redriven">
          Re-drove {plural(redrive.data.redriven, 'reject')} of {meterId}.
        </p>
      ) : null}
      {redrive.isError ? (
        <p className="form__error" role="alert">
          {fieldMessage(describeProblem(redrive.error), 'meterId') ?? describeProblem(redrive.error).message}
        </p>
      ) : null}
    </div>
  );
}
