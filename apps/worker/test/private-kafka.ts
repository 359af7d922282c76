/**
 * A Kafka broker of the test's own, started from the stack's jars with the stack's server.properties
 * (scripts/lib/kafka-config.ts) on free ports, so that a test can change how it listens (SCRAM) without
 * touching the broker everyone shares.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@meterops/metrics/testing/influxd';
import { loadEnv } from '../../../scripts/lib/env';
import { kafkaServerProperties, scramCredential } from '../../../scripts/lib/kafka-config';

export interface PrivateKafka {
  /** host:port of the PLAINTEXT listener. */
  plaintext: string;
  /** host:port of the SASL_PLAINTEXT (SCRAM-SHA-512) listener. */
  scram: string;
  stop(): Promise<void>;
}

/** Starts a broker whose SCRAM listener knows exactly one user; resolves once both listeners accept. */
export async function startPrivateKafka(user: { username: string; password: string }): Promise<PrivateKafka> {
  const libs = join(loadEnv().METEROPS_STATE_DIR, 'kafka', 'libs');
  if (!existsSync(libs)) throw new Error(`no Kafka jars in ${libs}: run npm run stack -- up once`);
  const dir = await mkdtemp(join(tmpdir(), 'meterops-kafka-'));
  const host = '127.0.0.1';
  const [plaintextPort, controllerPort, scramPort] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, 'server.properties');
  const log = join(dir, 'broker.log');
  await writeFile(
    config,
    [
      ...kafkaServerProperties({
        dataDir: join(dir, 'data'),
        host,
        plaintextPort,
        controllerPort,
        scramPort,
      }),
      '',
    ].join('\n'),
  );
  // Warnings and errors, plus the one INFO line that says the broker serves requests.
  const log4j = join(dir, 'log4j2.properties');
  await writeFile(
    log4j,
    [
      'appender.out.type = Console',
      'appender.out.name = OUT',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d{ISO8601}] %-5p %m (%c)%n',
      'rootLogger.level = WARN',
      'rootLogger.appenderRef.out.ref = OUT',
      'logger.started.name = kafka.server.KafkaRaftServer',
      'logger.started.level = INFO',
      '',
    ].join('\n'),
  );
  const classpath = `${libs}/*`;
  const format = spawnSync(
    'java',
    [
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      config,
      '--add-scram',
      scramCredential(user.username, user.password),
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`kafka storage format failed:\n${format.stdout}\n${format.stderr}`);

  const out = openSync(log, 'a');
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xms128m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      config,
    ],
    { stdio: ['ignore', out, out] },
  );
  closeSync(out);

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    const text = await readFile(log, 'utf8').catch(() => '');
    // The broker logs this once every listener is bound and it serves requests.
    if (text.includes('Kafka Server started')) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the private Kafka broker did not start:\n${text.slice(-3_000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { plaintext: `${host}:${plaintextPort}`, scram: `${host}:${scramPort}`, stop };
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64; the command line refuses one starting with "-". */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
