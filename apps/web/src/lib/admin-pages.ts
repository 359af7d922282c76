/** The administration section's pages, for its navigation and its overview. */
export const adminPages = [
  {
    href: '/admin/jobs',
    label: 'Jobs',
    description:
      'Start reprocessing for meters over a range of days and follow it live; every batch run with progress, duration, errors and cancel.',
  },
  {
    href: '/admin/alert-rules',
    label: 'Alert rules',
    description:
      'Thresholds, durations and severity of every alert rule; e-mail and webhook channels and their routing.',
  },
  {
    href: '/admin/billing',
    label: 'Billing alerts',
    description:
      'Invoiced billing periods whose kWh changed through late data or a correction, to acknowledge.',
  },
  {
    href: '/admin/registry',
    label: 'Registry',
    description:
      'Register and change meters, customers, tariffs and billing periods; re-drive a new meter’s quarantined readings.',
  },
  {
    href: '/admin/webhooks',
    label: 'Webhooks',
    description:
      'Endpoints that receive signed events (day finalized, billing alerts, corrections, reprocessing), their delivery log, redelivery and test events.',
  },
  {
    href: '/admin/users',
    label: 'Users and roles',
    description: 'Create users, change roles, bind customer accounts, disable access.',
  },
  {
    href: '/admin/api-keys',
    label: 'API keys',
    description:
      'Keys of the REST API (/api/v1): create with scopes, expiry and a rate limit (the secret is shown once), see last use, revoke.',
  },
  {
    href: '/admin/audit',
    label: 'Audit trail',
    description:
      'Who changed roles, disabled users, reset passwords, acknowledged billing alerts or started jobs: when, and from where.',
  },
] as const;
