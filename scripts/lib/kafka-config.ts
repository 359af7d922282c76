/**
 * The broker's server.properties, shared by `npm run stack -- up` and the worker's SASL test (which runs
 * a private broker with the same settings on ports of its own).
 */

export interface KafkaServerOptions {
  /** Where the broker keeps its logs (topic data). */
  dataDir: string;
  host: string;
  /** The PLAINTEXT listener: clients and the broker itself (inter-broker traffic). */
  plaintextPort: number;
  controllerPort: number;
  /**
   * A SASL_PLAINTEXT listener accepting SCRAM-SHA-512 only. Its users are created with the storage
   * (`kafka-storage format --add-scram`) or later with `kafka-configs --alter --add-config SCRAM-SHA-512=…`.
   */
  scramPort?: number;
}

export const KAFKA_SCRAM_MECHANISM = 'SCRAM-SHA-512';

export function kafkaServerProperties(options: KafkaServerOptions): string[] {
  const { host, plaintextPort, controllerPort, scramPort } = options;
  const clientListeners = [
    `PLAINTEXT://${host}:${plaintextPort}`,
    ...(scramPort === undefined ? [] : [`SASL_PLAINTEXT://${host}:${scramPort}`]),
  ];
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${host}:${controllerPort}`,
    `listeners=${[...clientListeners, `CONTROLLER://${host}:${controllerPort}`].join(',')}`,
    `advertised.listeners=${clientListeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${scramPort === undefined ? '' : ',SASL_PLAINTEXT:SASL_PLAINTEXT'}`,
    ...(scramPort === undefined
      ? []
      : [
          `sasl.enabled.mechanisms=${KAFKA_SCRAM_MECHANISM}`,
          // The broker side of SCRAM needs the login module but no credentials of its own: it checks
          // clients against the SCRAM credentials stored in the cluster metadata.
          `listener.name.sasl_plaintext.${KAFKA_SCRAM_MECHANISM.toLowerCase()}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;`,
        ]),
    `log.dirs=${options.dataDir}`,
    // One node: every internal topic must make do with a single replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // Tests start consumers and expect partitions at once, not after the 3 s default rebalance delay.
    'group.initial.rebalance.delay.ms=0',
    // A typo in a topic name must fail loudly instead of creating a one-partition topic.
    'auto.create.topics.enable=false',
    'num.partitions=1',
  ];
}

/**
 * The `--add-scram` argument of `kafka-storage format`. Kafka's parser of this list has no escaping, so
 * names and passwords are limited to characters it cannot mistake for its separators.
 */
export function scramCredential(username: string, password: string): string {
  for (const [what, value] of [
    ['user name', username],
    ['password', password],
  ] as const) {
    if (!/^[-A-Za-z0-9._~!@#$%^&*+]+$/.test(value)) {
      throw new Error(`a SCRAM ${what} may hold letters, digits and ._~!@#$%^&*+- only`);
    }
  }
  return `${KAFKA_SCRAM_MECHANISM}=[name=${username},password=${password}]`;
}
