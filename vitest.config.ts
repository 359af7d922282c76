import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const exclude = [...configDefaults.exclude, '**/node_modules/**', '**/.next/**', 'e2e/**'];

/**
 * Next.js resolves `server-only` to an empty module under its `react-server` condition. Under vitest the web
 * app's server modules run in plain Node, where the package's default entry throws by design, so tests get
 * the empty module too.
 */
const resolve = {
  alias: { 'server-only': fileURLToPath(new URL('./node_modules/server-only/empty.js', import.meta.url)) },
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve,
        test: {
          name: 'unit',
          include: ['**/*.unit.test.ts'],
          exclude,
        },
      },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          globalSetup: ['./test/migrate-configured-database.ts'],
        },
      },
    ],
  },
});
