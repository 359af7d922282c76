/**
 * `npm run stack -- up|down|status|reset`: the local Kafka, InfluxDB and Postgres MeterOps runs on.
 * The work is done in ./lib/stack.ts, which demo.ts and test.ts call in-process; this file only parses
 * the command and prints. See docs/operations.md.
 */
import {
  displayPath,
  ensureStackUp,
  stackDown,
  stackReset,
  stackStatus,
  type PartStatus,
  type StackInfo,
} from './lib/stack';
import { hideKafkajsTimeoutWarning } from './lib/processes';

hideKafkajsTimeoutWarning();

const USAGE = `usage: npm run stack -- <command>

  up      start what is not running, wait until healthy, create topics and databases
  status  print each part's address and health; exit 1 if any part is down
  down    stop what 'up' started (external services are never touched)
  reset   down, then delete the state folder's data (Kafka jars are kept)

Environment: KAFKA_BROKERS, INFLUX_URL, INFLUX_DB, DATABASE_URL, READINGS_TOPIC, DLQ_TOPIC,
METEROPS_STATE_DIR (see docs/operations.md).`;

function printInfo(info: StackInfo, elapsedMs: number): void {
  const origin = (managed: boolean): string => (managed ? 'started by this stack' : 'existing service');
  const logOf = (log: string | undefined): string => (log ? displayPath(log) : "the service's own logs");
  const topics = Object.entries(info.kafka.topics)
    .map(([name, partitions]) => `${name} (${partitions})`)
    .join(', ');
  console.log(`
MeterOps stack is up (${(elapsedMs / 1000).toFixed(1)} s)
  kafka     ${info.kafka.brokers.join(',')}  [${origin(info.kafka.managed)}]
            topics: ${topics}
            log: ${logOf(info.kafka.log)}
  influxdb  ${info.influxdb.url}  database ${info.influxdb.database}  [${origin(info.influxdb.managed)}]
            log: ${logOf(info.influxdb.log)}
  postgres  ${info.postgres.url.replace(/:[^:@/]*@/, ':***@')}  [${origin(info.postgres.managed)}]
            log: ${logOf(info.postgres.log)}
  s3proxy   ${info.s3.endpoint}  bucket ${info.s3.bucket}  [${origin(info.s3.managed)}]
            archive there with ARCHIVE_S3_ENDPOINT=${info.s3.endpoint} ARCHIVE_S3_BUCKET=${info.s3.bucket}
            ARCHIVE_S3_ACCESS_KEY_ID=${info.s3.accessKeyId} ARCHIVE_S3_SECRET_ACCESS_KEY=${info.s3.secretAccessKey}
  state     ${displayPath(info.stateDir)}   worker/web logs: ${displayPath(info.logsDir)}`);
  if (info.postgres.managed) {
    console.log(
      `\nPostgres runs in a private cluster; point the apps at it with\n  export DATABASE_URL=${info.postgres.url}`,
    );
  }
}

function printStatus(parts: PartStatus[]): void {
  const width = Math.max(...parts.map((p) => p.address.length));
  for (const p of parts) {
    const owner = !p.managed
      ? p.up
        ? 'existing service, not started by this stack'
        : 'not running'
      : p.pid !== undefined
        ? `started by this stack, pid ${p.pid}`
        : 'started by this stack, process not running';
    console.log(
      `${p.part.padEnd(9)} ${(p.up ? 'up' : 'DOWN').padEnd(5)} ${p.address.padEnd(width)}  ${p.detail}`,
    );
    console.log(`${' '.repeat(16)}${owner}${p.log ? `; log ${displayPath(p.log)}` : ''}`);
  }
}

async function main(command: string | undefined): Promise<number> {
  const started = Date.now();
  switch (command) {
    case 'up': {
      const info = await ensureStackUp();
      printInfo(info, Date.now() - started);
      return 0;
    }
    case 'status': {
      const parts = await stackStatus();
      printStatus(parts);
      const down = parts.filter((p) => !p.up).map((p) => p.part);
      if (down.length > 0) console.log(`\ndown: ${down.join(', ')} (npm run stack -- up)`);
      return down.length > 0 ? 1 : 0;
    }
    case 'down':
      await stackDown();
      return 0;
    case 'reset':
      await stackReset();
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command: ${command}\n\n${USAGE}`);
      return 2;
  }
}

let code: number;
try {
  code = await main(process.argv[2]);
} catch (error) {
  console.error(
    `\nstack ${process.argv[2] ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  code = 1;
}
// Exit explicitly: an idle client socket (kafkajs, postgres) must not keep a finished command waiting.
process.exit(code);
