import type { ReactNode } from 'react';

export type Tone = 'neutral' | 'good' | 'warn' | 'bad';

/** A headline number with its label and a line of context. */
export function Stat({
  label,
  value,
  detail,
  tone = 'neutral',
  name,
}: {
  label: string;
  value: ReactNode;
  detail?: ReactNode;
  tone?: Tone;
  /** `data-stat` for tests. */
  name?: string;
}) {
  return (
    <div className={`stat stat--${tone}`} data-stat={name}>
      <dt className="stat__label">{label}</dt>
      <dd className="stat__value">{value}</dd>
      {detail ? <dd className="stat__detail">{detail}</dd> : null}
    </div>
  );
}

export function StatGrid({ children, label }: { children: ReactNode; label: string }) {
  return (
    <dl className="stat-grid" aria-label={label}>
      {children}
    </dl>
  );
}
