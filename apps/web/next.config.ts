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
  // Headers that are the same on every response, static files included. The Content-Security-Policy (with
  // a nonce per response) and HSTS (which depends on the runtime configuration) come from src/proxy.ts.
  headers() {
    return Promise.resolve([
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
          // For browsers that predate CSP frame-ancestors.
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ]);
  },
};

export default config;
