import {
  defaultEstimationParams,
  estimateGaps,
  type EstimationMethod,
  type EstimationParams,
} from '@meterops/domain/estimation';
import { formatInstant, localDay, localDayBounds } from '@meterops/domain/time';
import {
  defaultVeeParams,
  intervalCompleteness,
  veeParamsSchema,
  type SoftRuleName,
  type VeeParams,
} from '@meterops/domain/vee';
import { z } from 'zod';
import { loadGapInputs, type BatchSql } from '../batch/estimation';
import { softFlagBaselines, softFlagsSql, type SoftFlagDay } from '../batch/soft-flags';
import type { Sql } from '../client';

/** Every parameter the batch layer and ingest read from configuration, with its default. */
export const defaultBatchSettings: Readonly<BatchSettings> = Object.freeze({
  ...defaultVeeParams,
  ...defaultEstimationParams,
});

export type BatchSettings = VeeParams & EstimationParams;

const estimationParamsSchema = z.object({
  /** A run of missing intervals up to this many minutes between measured neighbours is interpolated linearly. */
  maxInterpolationMinutes: z.number().int().min(0).max(1440),
  /** How many previous same weekdays a like-day average looks at. */
  likeDayWeeks: z.number().int().min(1).max(12),
});

export const batchSettingsSchema = veeParamsSchema.extend(estimationParamsSchema.shape).strict();

export type BatchSettingName = keyof BatchSettings;
export const batchSettingNames = Object.keys(batchSettingsSchema.shape) as BatchSettingName[];

/** Defaults with the overrides applied; throws a ZodError naming the offending parameter. */
export function resolveBatchSettings(overrides: Partial<BatchSettings> = {}): BatchSettings {
  return batchSettingsSchema.parse({ ...defaultBatchSettings, ...overrides });
}

export interface VeeSettingRow {
  name: BatchSettingName;
  value: number;
  defaultValue: number;
  /** Null when the parameter has no override and takes its default. */
  updatedBy: string | null;
  updatedAt: Date | null;
}

/**
 * The VEE and estimation parameters in force: the defaults of @meterops/domain overridden by the rows of
 * vee_settings. A stored value that would make the set invalid throws, naming the parameter, rather than
 * being silently ignored.
 */
export async function loadBatchSettings(sql: Sql | BatchSql): Promise<BatchSettings> {
  const rows = await sql<{ name: string; value: number }[]>`select name, value from vee_settings`;
  const overrides: Record<string, number> = {};
  for (const row of rows) {
    if (!(batchSettingNames as string[]).includes(row.name)) {
      throw new Error(`vee_settings holds "${row.name}", which is not a VEE or estimation parameter`);
    }
    overrides[row.name] = row.value;
  }
  return resolveBatchSettings(overrides);
}

/** Every parameter with its value in force and its default, for the portal's settings page. */
export async function listVeeSettings(sql: Sql): Promise<VeeSettingRow[]> {
  const rows = await sql<{ name: string; value: number; updatedBy: string; updatedAt: Date }[]>`
    select name, value, updated_by as "updatedBy", updated_at as "updatedAt" from vee_settings`;
  const byName = new Map(rows.map((row) => [row.name, row]));
  return batchSettingNames.map((name) => {
    const row = byName.get(name);
    return {
      name,
      value: row?.value ?? defaultBatchSettings[name],
      defaultValue: defaultBatchSettings[name],
      updatedBy: row?.updatedBy ?? null,
      updatedAt: row?.updatedAt ?? null,
    };
  });
}

/**
 * Overrides one parameter (null restores the default). The whole set is validated with the new value
 * before it is stored, so the table never holds a configuration the rules would refuse.
 */
export async function setVeeSetting(
  sql: Sql,
  params: { name: string; value: number | null; actor: string },
): Promise<BatchSettings> {
  if (!(batchSettingNames as string[]).includes(params.name)) {
    throw new RangeError(`"${params.name}" is not a VEE or estimation parameter`);
  }
  return sql.begin(async (tx) => {
    const current = await loadBatchSettings(tx);
    const next = resolveBatchSettings({
      ...current,
      [params.name]: params.value ?? defaultBatchSettings[params.name as BatchSettingName],
    });
    if (params.value === null) {
      await tx`delete from vee_settings where name = ${params.name}`;
    } else {
      await tx`
        insert into vee_settings (name, value, updated_by) values (${params.name}, ${params.value}, ${params.actor})
        on conflict (name) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()`;
    }
    return next;
  });
}

export interface DryRunInterval {
  intervalStart: string;
  /** The stored value; null where the interval is missing. */
  kwh: string | null;
  quality: 'actual' | 'estimated' | 'edited' | null;
  /** Soft flags stored with the reading at ingest. */
  storedFlags: string[];
  /**
   * Soft flags the rule set gives the day's measured readings, judged together as one day: what the next
   * finalize stores. A reading an agent accepted keeps its stored flags.
   */
  flags: SoftRuleName[];
  /** The estimate finalizing would write here; null where it would write none. */
  estimate: { kwh: string; method: EstimationMethod } | null;
  /** What finalizing would do to this interval. */
  change: 'none' | 'insert_estimate' | 'replace_estimate';
}

export interface DryRunResult {
  meterId: string;
  day: string;
  settings: BatchSettings;
  completeness: { expected: number; measured: number; estimated: number; missing: number };
  intervals: DryRunInterval[];
  /** Intervals that would still be missing after estimation (no method could fill them). */
  unfilled: number;
  /** Flag changes against what is stored: intervals whose flags the rule set would set differently. */
  flagChanges: number;
}

/**
 * What a rule set would do to one meter's day, without changing anything: the soft flags for each measured
 * interval, the completeness figures and the estimates finalizing would write or replace. `overrides`
 * try parameters other than the configured ones. Runs in a read-only transaction.
 */
export async function veeDryRun(
  sql: Sql,
  params: { meterId: string; day: string; overrides?: Partial<BatchSettings> },
): Promise<DryRunResult> {
  const [meter] = await sql<
    { id: string; intervalMinutes: number; timeZone: string; status: 'active' | 'inactive' | 'removed' }[]
  >`select id, interval_minutes as "intervalMinutes", time_zone as "timeZone", status from meters where id = ${params.meterId}`;
  if (meter === undefined) throw new RangeError(`meter "${params.meterId}" is not registered`);
  const bounds = localDayBounds(params.day, meter.timeZone);
  const softDay: SoftFlagDay = {
    meterId: meter.id,
    intervalMinutes: meter.intervalMinutes,
    status: meter.status,
    dayStart: new Date(bounds.startMs).toISOString(),
    dayEnd: new Date(bounds.endMs).toISOString(),
  };
  // The history rules judge the day against the four weeks up to its end, as ingest would have then.
  const baselines = await softFlagBaselines(sql, [softDay]);
  return sql.begin('read only', async (tx) => {
    const settings = resolveBatchSettings({ ...(await loadBatchSettings(tx)), ...params.overrides });
    const [input] = await loadGapInputs(tx, {
      day: params.day,
      meters: [{ meterId: meter.id, timeZone: meter.timeZone, intervalMinutes: meter.intervalMinutes }],
      likeDayWeeks: settings.likeDayWeeks,
    });
    if (input === undefined) throw new Error('no estimation input was loaded');
    const completeness = intervalCompleteness(
      params.day,
      meter.timeZone,
      meter.intervalMinutes,
      input.dayReadings.map((reading) => reading.intervalStartMs),
    );
    const measured = input.dayReadings.filter((reading) => reading.quality !== 'estimated');
    // The evaluation finalizing stores, so the dry run shows exactly the flags the next finalize writes.
    const softFlags = await tx<{ interval_start: Date; flags: SoftRuleName[] }[]>`
      ${softFlagsSql(tx, [softDay], baselines, settings, { onlyChanged: false })}`;
    const flagsByStart = new Map(softFlags.map((row) => [row.interval_start.getTime(), row.flags]));
    const estimates = new Map(
      estimateGaps(input.estimation, settings).map((estimate) => [estimate.intervalStartMs, estimate]),
    );
    const stored = new Map(input.dayReadings.map((reading) => [reading.intervalStartMs, reading]));
    const expectedStarts = [...completeness.missing, ...input.dayReadings.map((r) => r.intervalStartMs)]
      .filter((start) => localDay(start, meter.timeZone) === params.day)
      .sort((a, b) => a - b);
    let flagChanges = 0;
    let unfilled = 0;
    const intervals = [...new Set(expectedStarts)].map((start): DryRunInterval => {
      const reading = stored.get(start);
      const estimate = estimates.get(start);
      const flags = flagsByStart.get(start) ?? [];
      const storedFlags = reading?.flags ?? [];
      if (reading !== undefined && reading.quality !== 'estimated' && flags.join() !== storedFlags.join()) {
        flagChanges += 1;
      }
      let change: DryRunInterval['change'] = 'none';
      if (estimate !== undefined && reading === undefined) change = 'insert_estimate';
      else if (
        estimate !== undefined &&
        reading?.quality === 'estimated' &&
        (reading.kwh !== estimate.kwh || reading.estimationMethod !== estimate.method)
      ) {
        change = 'replace_estimate';
      }
      if (reading === undefined && estimate === undefined) unfilled += 1;
      return {
        intervalStart: formatInstant(start),
        kwh: reading?.kwh ?? null,
        quality: reading?.quality ?? null,
        storedFlags,
        flags,
        estimate: estimate === undefined ? null : { kwh: estimate.kwh, method: estimate.method },
        change,
      };
    });
    return {
      meterId: meter.id,
      day: params.day,
      settings,
      completeness: {
        expected: completeness.expected,
        measured: measured.length,
        estimated: input.dayReadings.length - measured.length,
        missing: completeness.missing.length,
      },
      intervals,
      unfilled,
      flagChanges,
    };
  });
}
