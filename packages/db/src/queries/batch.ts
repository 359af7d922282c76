import type { Sql } from '../client';
export interface FinalizeProgress { step: string; done: number; total: number }
export async function finalizeDay(_sql: Sql, _params: { day: string; actor: string; onProgress?: (p: FinalizeProgress) => void }) {
  throw new Error('not yet');
  return { readings: 0, meters: 0, estimated: { inserted: 0, replaced: 0, linear: 0, likeDay: 0 }, rows: { daily: 0, hourly: 0, dimension: 0, settlement: 0 } };
}
