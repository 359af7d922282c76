/**
 * A Kafka broker of the test's own, started from the stack's jars with the stack's server.properties
 * (scripts/lib/kafka-config.ts) on free ports, so that a test can change how it listens (SCRAM), or kill
 * and restart it, without touching the broker everyone shares.
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
  /** host:port of the SASL_PLAINTEXT (SCRAM-SHA-512) listener, when started with a user. */
  scram: string;
  /** SIGKILL: the broker dies mid-request, as on a crash or a lost machine. */
  kill(): Promise<void>;
  /** Starts it again on the same data and ports. */
  restart(): Promise<void>;
  /** Kills it and deletes its data. */
  stop(): Promise<void>;
}

/**
 * Starts a broker (with a SCRAM listener that knows exactly one user, when given one); resolves once it
 * serves requests.
 */
export async function startPrivateKafka(user?: {
  username: string;
  password: string;
}): Promise<PrivateKafka> {
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
        scramPort: user ? scramPort : undefined,
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
      ...(user ? ['--add-scram', scramCredential(user.username, user.password)] : []),
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`kafka storage format failed:\n${format.stdout}\n${format.stderr}`);

  let child: ChildProcess | null = null;
  const start = async () => {
    const out = openSync(log, 'a');
    const started = spawn(
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
    child = started;
    const logged = (await readFile(log, 'utf8').catch(() => '')).split('Kafka Server started').length;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const text = await readFile(log, 'utf8').catch(() => '');
      // The broker logs this once every listener is bound and it serves requests.
      if (text.split('Kafka Server started').length > logged) return;
      if (started.exitCode !== null || Date.now() > deadline) {
        await kill();
        throw new Error(`the private Kafka broker did not start:\n${text.slice(-3_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const kill = async () => {
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    }
    child = null;
  };
  const stop = async () => {
    await kill();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    plaintext: `${host}:${plaintextPort}`,
    scram: `${host}:${scramPort}`,
    kill,
    restart: start,
    stop,
  };
}

/** A Kafka cluster id: 16 random bytes in URL-safe base64; the command line refuses one starting with "-". */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
