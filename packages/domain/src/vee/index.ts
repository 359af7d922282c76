export { defaultVeeParams, resolveVeeParams, veeParamsSchema, type VeeParams } from './params';
export {
  veeRules,
  type ReadingRejectionRule,
  type RuleSeverity,
  type SoftRuleName,
  type VeeRuleInfo,
  type VeeRuleName,
} from './rules';
export type { Baseline, MeterInfo } from './types';
export { evaluateSoftRules, type SoftRuleReading } from './soft';
export {
  validateMessage,
  type AcceptedReading,
  type RejectedReading,
  type ValidationContext,
  type ValidationResult,
} from './validate';
export { intervalCompleteness, type IntervalCompleteness } from './completeness';
