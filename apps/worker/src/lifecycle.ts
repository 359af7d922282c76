import { archivePaths, createStore } from '@meterops/archive/config';
import type { WorkerEnv } from './env';
import type { LifecycleSettings } from './jobs/definitions';

/** The archive store and retention settings the worker's lifecycle jobs and the archive CLI use. */
export function lifecycleSettings(settings: WorkerEnv): LifecycleSettings {
  return {
    store: createStore(settings),
    workDir: archivePaths(settings).workDir,
    retentionMonths: settings.ARCHIVE_RETENTION_MONTHS,
    retentionYears: settings.ARCHIVE_RETENTION_YEARS,
    rejectedDays: settings.REJECTED_RETENTION_DAYS,
    jobLogDays: settings.JOB_LOG_RETENTION_DAYS,
  };
}
