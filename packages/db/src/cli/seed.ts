import { parseArgs } from 'node:util';
import { createDb } from '../client';
import { dbEnv } from '../env';
import { countFleet, demoPassword, demoUsers, seedBillingPeriods, seedDemoUsers, seedFleet } from '../seed';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
    /** Creates the demo users even with NODE_ENV=production (a demo deployment). */
    demo: { type: 'boolean', default: false },
  },
});
const meterCount = Number(values.meters);
if (!Number.isInteger(meterCount) || meterCount < 1) {
  console.error(`--meters must be a positive whole number, got "${values.meters}"`);
  process.exit(2);
}

// Checked before anything is written, so a refused seed leaves the database as it was.
if (dbEnv.NODE_ENV === 'production' && !values.demo) {
  console.error(
    'refusing to seed: NODE_ENV=production, and the seed creates the demo users, whose password is ' +
      'published. Create an administrator with `npm run users -- create-admin --email …`; pass --demo ' +
      'only for a demo deployment.',
  );
  process.exit(2);
}

const { db, close } = createDb({ max: 2, applicationName: 'meterops-seed' });
try {
  const started = performance.now();
  await seedFleet(db, {
    meters: meterCount,
    seed: Number(values.seed),
    onProgress: (done, total) => process.stdout.write(`\rseeding meters ${done}/${total}`),
  });
  process.stdout.write('\n');
  await seedDemoUsers(db, { demo: values.demo });
  const periods = await seedBillingPeriods(db);
  if (periods > 0) console.log(`seeded ${periods} billing periods`);
  console.log(
    `fleet has ${await countFleet(db)} meters (seeded in ${Math.round(performance.now() - started)} ms); demo users: ${demoUsers
      .map((user) => user.email)
      .join(', ')} / password "${demoPassword}"`,
  );
} finally {
  await close();
}
