import { parseArgs } from 'node:util';
import { createDb } from '../client';
import { countFleet, demoPassword, demoUsers, seedBillingPeriods, seedDemoUsers, seedFleet } from '../seed';

const { values } = parseArgs({
  options: {
    meters: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
  },
});
const meterCount = Number(values.meters);
if (!Number.isInteger(meterCount) || meterCount < 1) {
  console.error(`--meters must be a positive whole number, got "${values.meters}"`);
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
  await seedDemoUsers(db);
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
