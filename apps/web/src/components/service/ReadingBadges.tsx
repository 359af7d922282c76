import { formatRule } from '../../lib/format';
import { estimationMethodLabels, qualityLabels } from '../../lib/service-params';

type Quality = 'actual' | 'estimated' | 'edited';

/** A reading's quality; an estimate says how it was made. */
export function ReadingQuality({ quality, method }: { quality: Quality | null; method: string | null }) {
  if (quality === null) return <span className="quality quality--missing">Missing</span>;
  return (
    <span className="quality-cell">
      <span className={`quality quality--${quality}`}>{qualityLabels[quality]}</span>
      {quality === 'estimated' && method ? (
        <span className="quality-cell__method">{estimationMethodLabels[method] ?? method}</span>
      ) : null}
    </span>
  );
}

/** Soft-rule flags awaiting review, by name. */
export function FlagTags({ flags }: { flags: readonly string[] }) {
  if (flags.length === 0) return null;
  return (
    <ul className="flag-list" aria-label="Flags">
      {flags.map((flag) => (
        <li key={flag} className="flag" data-flag={flag}>
          {formatRule(flag)}
        </li>
      ))}
    </ul>
  );
}
