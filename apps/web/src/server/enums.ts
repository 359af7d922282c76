/**
 * The zod enums of the API, each built from the Postgres enum that stores it (`@meterops/db/schema`), so a
 * value added to the database type reaches every procedure's input and output at once.
 */
import { z } from 'zod';
import {
  aggregateStatus as aggregateStatusType,
  billingAlertCause as billingAlertCauseType,
  jobLogLevel as jobLogLevelType,
  jobRunStatus as jobRunStatusType,
  meterStatus as meterStatusType,
  readingQuality,
  revisionSource as revisionSourceType,
  segment as segmentType,
  userRole,
} from '@meterops/db/schema';

export const role = z.enum(userRole.enumValues);
export const quality = z.enum(readingQuality.enumValues);
export const aggregateStatus = z.enum(aggregateStatusType.enumValues);
export const segment = z.enum(segmentType.enumValues);
export const meterStatus = z.enum(meterStatusType.enumValues);
export const revisionSource = z.enum(revisionSourceType.enumValues);
export const billingAlertCause = z.enum(billingAlertCauseType.enumValues);
export const jobRunStatus = z.enum(jobRunStatusType.enumValues);
export const jobLogLevel = z.enum(jobLogLevelType.enumValues);
