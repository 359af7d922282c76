import { kafkaClientSecurity } from '@meterops/domain/transport';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { env } from '../env';
import { createKafka, createLagProbe } from '../kafka';
import { faultKinds, liveMessages, planSimulation, type FaultKind } from '../simulator/plan';
import { produceMessages } from '../simulator/produce';

const usage = `usage: npm run simulate -- --meters N --days D [--rate R] [--faults kind,kind|all] [--fault-rate F]
                       [--mode profile|interval] [--end-day YYYY-MM-DD] [--seed S] [--fleet-seed S] [--manifest FILE]
                       [--no-weather]  (a fixed seasonal curve instead of the simulated weather)
                       [--wait]  (then wait until the consumer group CONSUMER_GROUP has committed everything)
                       [--follow [--tick SECONDS]]  (then keep sending each interval as it ends, like live head-ends)
faults: ${faultKinds.join(', ')}`;

const { values } = parseArgs({
  options: {
    meters: { type: 'string' },
    days: { type: 'string', default: '1' },
    rate: { type: 'string' },
    faults: { type: 'string', default: '' },
    'fault-rate': { type: 'string' },
    mode: { type: 'string', default: 'profile' },
    'end-day': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'fleet-seed': { type: 'string', default: '42' },
    manifest: { type: 'string' },
    topic: { type: 'string' },
    wait: { type: 'boolean', default: false },
    'no-weather': { type: 'boolean', default: false },
    follow: { type: 'boolean', default: false },
    tick: { type: 'string', default: '60' },
    help: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  console.error(`${message}\n${usage}`);
  process.exit(2);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const positive = (name: string, raw: string | undefined) => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number, got "${raw ?? ''}"`);
  return value;
};
const meters = positive('meters', values.meters);
const days = values.follow && values.days === '0' ? 0 : positive('days', values.days);
const faults = (
  values.faults === 'all' ? [...faultKinds] : values.faults.split(',').filter(Boolean)
) as FaultKind[];
for (const fault of faults) if (!faultKinds.includes(fault)) fail(`unknown fault "${fault}"`);
if (values.mode !== 'profile' && values.mode !== 'interval') fail(`--mode must be profile or interval`);
if (values['end-day'] && !/^\d{4}-\d{2}-\d{2}$/.test(values['end-day'])) fail('--end-day must be YYYY-MM-DD');

const planned = planSimulation({
  meters,
  days: Math.max(days, 1),
  endDay: values['end-day'],
  seed: Number(values.seed),
  fleetSeed: Number(values['fleet-seed']),
  faults,
  faultRate: values['fault-rate'] === undefined ? undefined : Number(values['fault-rate']),
  mode: values.mode,
  weather: !values['no-weather'],
});
const { manifest } = planned;
// Manifests default to the repository's state folder, whatever the working directory.
const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const manifestPath = values.manifest
  ? resolve(values.manifest)
  : join(repoRoot, '.stack', 'simulations', `${new Date().toISOString().replaceAll(':', '-')}.json`);
const topic = values.topic ?? env.READINGS_TOPIC;
if (days > 0) {
  await mkdir(dirname(manifestPath), { recursive: true });
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));
  console.log(
    `simulating ${meters} meters × ${days} days (${manifest.options.startDay} … ${manifest.options.endDay}): ` +
      `${manifest.sent.messages} messages, ${manifest.sent.readings} readings, ${manifest.faults.length} faults → ${topic}`,
  );
  console.log(`manifest: ${manifestPath}`);
}

const kafka = createKafka({
  brokers: env.KAFKA_BROKERS,
  clientId: 'meterops-simulator',
  security: kafkaClientSecurity(env),
});
const result = await produceMessages(kafka, {
  // --days 0 with --follow: live traffic only.
  topic,
  messages: days === 0 ? [] : planned.messages(),
  rate: values.rate === undefined ? undefined : positive('rate', values.rate),
  onProgress: (progress) => {
    const percent = ((progress.readings / Math.max(1, manifest.sent.readings)) * 100).toFixed(1);
    const perSecond = Math.round(progress.readings / Math.max(0.001, progress.elapsedMs / 1000));
    process.stdout.write(
      `\rsent ${progress.readings}/${manifest.sent.readings} readings (${percent}%), ${perSecond} readings/s   `,
    );
  },
});
process.stdout.write('\n');
console.log(
  `done: ${result.messages} messages, ${result.readings} readings in ${(result.elapsedMs / 1000).toFixed(1)} s`,
);

if (values.wait) {
  const probe = createLagProbe(kafka, env.CONSUMER_GROUP, topic);
  const started = Date.now();
  for (;;) {
    const lags = await probe.read();
    const remaining = lags.reduce((sum, entry) => sum + entry.lag, 0n);
    process.stdout.write(`\rwaiting for ${env.CONSUMER_GROUP}: ${remaining} messages not yet committed   `);
    if (remaining === 0n) break;
    if (Date.now() - started > 10 * 60_000) {
      process.stdout.write('\n');
      console.error(`gave up after 10 minutes: is a worker of group ${env.CONSUMER_GROUP} running?`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await probe.stop();
  process.stdout.write('\n');
  console.log(`ingested: group ${env.CONSUMER_GROUP} has committed every message`);
}

if (values.follow) {
  const tickMs = positive('tick', values.tick) * 1000;
  // Live data starts where the backfill ended (the end of its last day), at most two days back.
  let fromMs = Math.max(
    Date.parse(`${manifest.options.endDay}T00:00:00Z`) + 86_400_000,
    Date.now() - 2 * 86_400_000,
  );
  console.log(`following: sending each interval as it ends, every ${tickMs / 1000} s (Ctrl-C stops)`);
  let stopping = false;
  process.on('SIGTERM', () => (stopping = true));
  process.on('SIGINT', () => (stopping = true));
  while (!stopping) {
    const toMs = Date.now();
    const sent = await produceMessages(kafka, {
      topic,
      messages: liveMessages({ meters, fromMs, toMs, weather: !values['no-weather'] }),
    });
    if (sent.readings > 0) console.log(`${new Date(toMs).toISOString()} sent ${sent.readings} live readings`);
    fromMs = toMs;
    for (let waited = 0; waited < tickMs && !stopping; waited += 500)
      await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
