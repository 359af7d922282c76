import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Internal packages export TypeScript source (see docs/architecture.md); Next compiles them.
  transpilePackages: ['@meterops/db', '@meterops/metrics', '@meterops/domain', '@meterops/archive'],
  // Native addons (argon2, DuckDB), connection pool, Kafka and S3 clients: loaded by Node at run time.
  serverExternalPackages: [
    '@node-rs/argon2',
    'postgres',
    'kafkajs',
    '@duckdb/node-api',
    '@duckdb/node-bindings',
    '@aws-sdk/client-s3',
  ],
  headers() {
    return Promise.resolve([
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          { key: 'Content-Security-Policy', value: "frame-ancestors 'none'" },
        ],
      },
    ]);
  },
};

export default config;
