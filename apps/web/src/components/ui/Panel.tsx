import { useId, type ReactNode } from 'react';

/** A titled card: every block of a dashboard is one, so headings, spacing and states look the same. */
export function Panel({
  title,
  description,
  actions,
  children,
  className,
  name,
}: {
  title: ReactNode;
  description?: ReactNode;
  /** Controls shown at the right of the title (filters that only concern this card). */
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  /** `data-panel` for tests. */
  name?: string;
}) {
  const headingId = useId();
  return (
    <section
      className={`card${className ? ` ${className}` : ''}`}
      aria-labelledby={headingId}
      data-panel={name}
    >
      <header className="card__header">
        <div className="card__titles">
          <h2 id={headingId} className="card__title">
            {title}
          </h2>
          {description ? <p className="card__description">{description}</p> : null}
        </div>
        {actions ? <div className="card__actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}
