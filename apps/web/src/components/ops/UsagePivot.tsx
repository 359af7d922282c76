import { sumDecimals } from '../../lib/decimal';
import { formatDecimal, formatKey, formatUtc } from '../../lib/format';

export interface PivotCell {
  kwh: string;
  status: 'provisional' | 'final';
  computedAt: Date;
}

/**
 * kWh with periods as rows and keys as columns, every cell exact, provisional cells striped and italic,
 * and a total per row and per column. The table carries the exact numbers the chart above it draws.
 */
export function UsagePivot({
  name,
  caption,
  periodHeader,
  periods,
  keys,
  cells,
}: {
  name: string;
  caption: string;
  periodHeader: string;
  periods: readonly { id: string; label: string }[];
  keys: readonly string[];
  cells: ReadonlyMap<string, PivotCell>;
}) {
  const cellOf = (period: string, key: string) => cells.get(`${period}\u0000${key}`);
  return (
    <div className="table-scroll table-scroll--tall">
      <table className="table table--compact pivot" data-table={name}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{periodHeader}</th>
            {keys.map((key) => (
              <th key={key} scope="col" className="num" data-key={key}>
                {formatKey(key)}
              </th>
            ))}
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col">Computed (latest)</th>
          </tr>
        </thead>
        <tbody>
          {periods.map((period) => {
            const row = keys.map((key) => cellOf(period.id, key));
            const present = row.filter((cell): cell is PivotCell => cell !== undefined);
            const latest = present.reduce<Date | null>(
              (max, cell) => (max === null || cell.computedAt > max ? cell.computedAt : max),
              null,
            );
            const provisional = present.filter((cell) => cell.status === 'provisional').length;
            return (
              <tr key={period.id} data-period={period.id}>
                <th scope="row">{period.label}</th>
                {keys.map((key, index) => {
                  const cell = row[index];
                  if (!cell) {
                    return (
                      <td key={key} className="num muted" data-key={key}>
                        –
                      </td>
                    );
                  }
                  const label = cell.status === 'final' ? 'Final' : 'Provisional';
                  return (
                    <td
                      key={key}
                      className={`num cell--${cell.status}`}
                      data-key={key}
                      data-status={cell.status}
                      title={`${label}, computed ${formatUtc(cell.computedAt)}`}
                    >
                      {formatDecimal(cell.kwh)}
                      <span className="visually-hidden"> kWh, {label.toLowerCase()}</span>
                    </td>
                  );
                })}
                <td className="num" data-key="total">
                  {present.length > 0 ? formatDecimal(sumDecimals(present.map((cell) => cell.kwh))) : '–'}
                </td>
                <td className="computed">
                  {latest ? (
                    <>
                      <time dateTime={latest.toISOString()}>{formatUtc(latest, { seconds: false })}</time>
                      <span className="muted">
                        {' '}
                        ·{' '}
                        {provisional === 0
                          ? 'final'
                          : provisional === present.length
                            ? 'provisional'
                            : `${provisional} provisional`}
                      </span>
                    </>
                  ) : (
                    '–'
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
        <tfoot>
          <tr data-period="total">
            <th scope="row">Total</th>
            {keys.map((key) => {
              const column = periods
                .map((period) => cellOf(period.id, key))
                .filter((cell): cell is PivotCell => cell !== undefined);
              return (
                <td key={key} className="num" data-key={key}>
                  {column.length > 0 ? formatDecimal(sumDecimals(column.map((cell) => cell.kwh))) : '–'}
                </td>
              );
            })}
            <td className="num" data-key="total">
              {formatDecimal(sumDecimals([...cells.values()].map((cell) => cell.kwh)))}
            </td>
            <td />
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
