import { describe, expect, it } from 'vitest';
import { InfluxQueryError, parseQueryResponse } from '../src/query';

describe('parseQueryResponse', () => {
  it('maps each series to rows keyed by column, keeping its tags', () => {
    const series = parseQueryResponse({
      results: [
        {
          statement_id: 0,
          series: [
            {
              name: 'ingest_batch',
              tags: { worker: 'w1' },
              columns: ['time', 'records', 'db_ms'],
              values: [
                [1_700_000_000_000, 500, 12.5],
                [1_700_000_001_000, 20, null],
              ],
            },
            {
              name: 'ingest_batch',
              tags: { worker: 'w2' },
              columns: ['time', 'records'],
              values: [[1_700_000_000_000, 7]],
            },
          ],
        },
      ],
    });
    expect(series).toEqual([
      {
        name: 'ingest_batch',
        tags: { worker: 'w1' },
        rows: [
          { time: 1_700_000_000_000, records: 500, db_ms: 12.5 },
          { time: 1_700_000_001_000, records: 20, db_ms: null },
        ],
      },
      { name: 'ingest_batch', tags: { worker: 'w2' }, rows: [{ time: 1_700_000_000_000, records: 7 }] },
    ]);
  });

  it('gives series without tags an empty tag set', () => {
    const [series] = parseQueryResponse({
      results: [
        { statement_id: 0, series: [{ name: 'databases', columns: ['name'], values: [['meterops']] }] },
      ],
    });
    expect(series).toEqual({ name: 'databases', tags: {}, rows: [{ name: 'meterops' }] });
  });

  it('returns the series of every statement in order, and none for statements without results', () => {
    const series = parseQueryResponse({
      results: [
        { statement_id: 0 },
        { statement_id: 1, series: [{ name: 'a', columns: ['time', 'v'], values: [[1, 1]] }] },
        { statement_id: 2, series: [{ name: 'b', columns: ['time', 'v'], values: [[2, true]] }] },
      ],
    });
    expect(series.map((s) => [s.name, s.rows])).toEqual([
      ['a', [{ time: 1, v: 1 }]],
      ['b', [{ time: 2, v: true }]],
    ]);
  });

  it('fills a column missing from a short row with null', () => {
    const [series] = parseQueryResponse({
      results: [{ statement_id: 0, series: [{ name: 'a', columns: ['time', 'v', 'w'], values: [[1, 2]] }] }],
    });
    expect(series?.rows).toEqual([{ time: 1, v: 2, w: null }]);
  });

  it('throws InfluxDB’s text when a statement fails', () => {
    expect(() =>
      parseQueryResponse({
        results: [{ statement_id: 0 }, { statement_id: 1, error: 'database not found: x' }],
      }),
    ).toThrowError(new InfluxQueryError('InfluxDB query failed in statement 1: database not found: x'));
  });

  it('throws InfluxDB’s text when the whole request fails', () => {
    expect(() => parseQueryResponse({ error: 'error parsing query: found WHER' })).toThrowError(
      /InfluxDB query failed: error parsing query: found WHER/,
    );
  });

  it('rejects a body that is not an object', () => {
    expect(() => parseQueryResponse('nope')).toThrowError(InfluxQueryError);
  });
});
