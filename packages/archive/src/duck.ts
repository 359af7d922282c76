/**
 * One embedded DuckDB per process, for writing Parquet and reading it back. Its parquet, json and icu
 * extensions are built into @duckdb/node-api's binary; nothing is downloaded at run time.
 */
import fs from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

let connection: Promise<DuckDBConnection> | null = null;

/** The shared connection; `tempDir` is where DuckDB spills when a sort outgrows its memory limit. */
export function duck(tempDir: string): Promise<DuckDBConnection> {
  connection ??= (async () => {
    fs.mkdirSync(tempDir, { recursive: true });
    const instance = await DuckDBInstance.create(':memory:', {
      // The machine's cores and memory are shared with Postgres and the ingest workers.
      threads: '2',
      memory_limit: '1GB',
      temp_directory: tempDir,
    });
    const conn = await instance.connect();
    // Footers of files read again (the year view opens the same months) are kept in memory.
    await conn.run("SET enable_object_cache = true; SET TimeZone = 'UTC'");
    return conn;
  })();
  return connection;
}

/** A string literal for SQL text (file paths; DuckDB table functions take no parameters for them). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `[ 'a', 'b' ]` for read_parquet over several files. */
export function fileList(files: readonly string[]): string {
  return `[${files.map(literal).join(', ')}]`;
}

/** A text column of a DuckDB result row (VARCHAR, or a DECIMAL/HUGEINT cast to VARCHAR in the query). */
export function text(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`expected text from DuckDB, got ${typeof value}`);
  return value;
}

export function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : text(value);
}
