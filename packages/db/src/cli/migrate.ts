import { dbEnv } from '../env';
import { runMigrations } from '../migrate';

const started = performance.now();
await runMigrations();
const target = new URL(dbEnv.DATABASE_URL);
console.log(
  `migrations applied to ${target.host}${target.pathname} in ${Math.round(performance.now() - started)} ms`,
);
