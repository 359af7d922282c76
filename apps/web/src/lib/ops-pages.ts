/** The operations section's pages, for its navigation and its overview. */
export const opsPages = [
  {
    href: '/ops/alerts',
    label: 'Alerts',
    description:
      'What the alert rules found: firing, acknowledged and resolved alerts, with the figure behind each; silences.',
  },
  {
    href: '/ops/pipeline',
    label: 'Pipeline health',
    description:
      'Throughput in and out, consumer lag per partition with a Burrow-style status, batch latency, rejects by rule, freshness.',
  },
  {
    href: '/ops/completeness',
    label: 'Completeness',
    description:
      'Expected versus received intervals per day and region, the meters behind each gap, arrival by D+1 and D+5.',
  },
  {
    href: '/ops/consumption',
    label: 'Consumption',
    description:
      'kWh by region, segment and tariff per hour, day and month, half-hourly settlement periods, provisional and final.',
  },
  {
    href: '/ops/settlement',
    label: 'Settlement',
    description:
      'Settlement runs per supplier, region and half-hour period: the timetable, reconciliation differences and their causes, settlement files.',
  },
  {
    href: '/ops/rejects',
    label: 'Rejected readings',
    description:
      'The quarantine: every reading or message a rule refused, with its payload and Kafka position.',
  },
  {
    href: '/ops/meters',
    label: 'Meters',
    description:
      'The meter registry, read-only: status, interval, time zone, installation and removal of every meter.',
  },
] as const;
