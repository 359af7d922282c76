import type { VeeParams } from './params';

export type RuleSeverity = 'hard' | 'soft';

/** A VEE rule as the docs and the portal list it. */
export interface VeeRuleInfo {
  readonly name: string;
  /** hard: the reading (or message) is rejected and quarantined; soft: it is stored and flagged for review. */
  readonly severity: RuleSeverity;
  /** message: rejects a whole Kafka message (item index -1); reading: one interval reading. */
  readonly scope: 'message' | 'reading';
  readonly description: string;
  readonly params: readonly (keyof VeeParams)[];
}

/**
 * Every rule, hard rules in the order they are evaluated: a reading is rejected by the first hard rule it
 * fails, so each rejected item carries exactly one rule.
 */
export const veeRules = [
  {
    name: 'empty_message',
    severity: 'hard',
    scope: 'message',
    description: 'The Kafka record has no value (tombstone) or a blank one.',
    params: [],
  },
  {
    name: 'malformed_json',
    severity: 'hard',
    scope: 'message',
    description: 'The value is not valid UTF-8 JSON.',
    params: [],
  },
  {
    name: 'schema',
    severity: 'hard',
    scope: 'message',
    description:
      'The envelope is not an object with meterId (1–64 characters), readings (1–2000 items), optional sentAt (ISO instant) and optional source (string).',
    params: [],
  },
  {
    name: 'key_mismatch',
    severity: 'hard',
    scope: 'message',
    description: 'The message has a key and it differs from meterId.',
    params: [],
  },
  {
    name: 'malformed_reading',
    severity: 'hard',
    scope: 'reading',
    description: 'An item of readings is not an object.',
    params: [],
  },
  {
    name: 'unparseable_timestamp',
    severity: 'hard',
    scope: 'reading',
    description:
      'intervalStart is missing or not an ISO-8601 instant with Z or an offset (local times are ambiguous around DST).',
    params: [],
  },
  {
    name: 'not_a_number',
    severity: 'hard',
    scope: 'reading',
    description: 'kwh is missing or not a finite JSON number; decimal strings are not accepted.',
    params: [],
  },
  {
    name: 'precision',
    severity: 'hard',
    scope: 'reading',
    description: 'kwh has more than 4 decimal places.',
    params: [],
  },
  {
    name: 'unknown_meter',
    severity: 'hard',
    scope: 'reading',
    description: 'No meter with this id is registered.',
    params: [],
  },
  {
    name: 'inactive_meter',
    severity: 'hard',
    scope: 'reading',
    description:
      'The meter is inactive, or the interval starts at or after its removal (a removed meter without a removal time refuses everything).',
    params: [],
  },
  {
    name: 'before_installation',
    severity: 'hard',
    scope: 'reading',
    description: 'The interval ends at or before the meter was installed.',
    params: [],
  },
  {
    name: 'misaligned_interval',
    severity: 'hard',
    scope: 'reading',
    description: 'intervalStart is not on the meter’s 15- or 30-minute grid in its local time zone.',
    params: [],
  },
  {
    name: 'future_interval',
    severity: 'hard',
    scope: 'reading',
    description: 'The interval ends later than now plus the tolerance.',
    params: ['futureToleranceMinutes'],
  },
  {
    name: 'archived_month',
    severity: 'hard',
    scope: 'reading',
    description:
      'The interval falls in a UTC month whose readings were archived and dropped from Postgres; restore the month, then redrive.',
    params: [],
  },
  {
    name: 'negative_value',
    severity: 'hard',
    scope: 'reading',
    description: 'kwh is below zero.',
    params: [],
  },
  {
    name: 'above_physical_max',
    severity: 'hard',
    scope: 'reading',
    description: 'kwh exceeds the meter’s physical maximum per interval (maxKwhPerInterval).',
    params: [],
  },
  {
    name: 'duplicate_interval',
    severity: 'hard',
    scope: 'reading',
    description: 'An earlier item of the same message already carries this interval; the first one is kept.',
    params: [],
  },
  {
    name: 'spike',
    severity: 'soft',
    scope: 'reading',
    description:
      'Among at least 3 readings of one local day, the highest is above spikeRatio × the third-highest and above spikeMinKwh; the highest is flagged.',
    params: ['spikeRatio', 'spikeMinKwh'],
  },
  {
    name: 'high_vs_history',
    severity: 'soft',
    scope: 'reading',
    description:
      'kwh is above highFactor × the meter’s historical 95th percentile and above highMinKwh (needs minHistorySamples of history).',
    params: ['highFactor', 'highMinKwh', 'minHistorySamples'],
  },
  {
    name: 'low_vs_history',
    severity: 'soft',
    scope: 'reading',
    description:
      'Readings covering at least lowMinHours average below lowFactor × the meter’s historical mean (a mean of at least lowMinMeanKwh, from minHistorySamples of history); all of them are flagged.',
    params: ['lowFactor', 'lowMinMeanKwh', 'lowMinHours', 'minHistorySamples'],
  },
  {
    name: 'zero_on_active',
    severity: 'soft',
    scope: 'reading',
    description:
      'An active meter reports zero for consecutive intervals spanning at least zeroRunMinutes; the run is flagged.',
    params: ['zeroRunMinutes'],
  },
] as const satisfies readonly VeeRuleInfo[];

type Rule = (typeof veeRules)[number];
export type VeeRuleName = Rule['name'];
export type SoftRuleName = Extract<Rule, { severity: 'soft' }>['name'];
/** Rules that reject a single reading. */
export type ReadingRejectionRule = Extract<Rule, { severity: 'hard'; scope: 'reading' }>['name'];
