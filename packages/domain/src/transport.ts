/**
 * How the apps and scripts authenticate to and encrypt their connections to Kafka. Each app's env.ts
 * parses these variables with `kafkaSecurityEnv` (the only place they are read); `kafkaClientSecurity`
 * turns the parsed settings into the `ssl` and `sasl` options of a kafkajs client. Shared here because
 * the worker, the web app and the stack scripts must agree on the variables and their meaning.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';

const unsetIfEmpty = (value: unknown): unknown => (value === '' ? undefined : value);
const optionalText = z.preprocess(unsetIfEmpty, z.string().min(1).optional());

export const kafkaSaslMechanisms = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;

export const kafkaSecurityEnv = z
  .object({
    /** SASL mechanism; unset means no SASL (a PLAINTEXT or SSL listener). */
    KAFKA_SASL_MECHANISM: z.preprocess(
      (value) => (typeof value === 'string' && value !== '' ? value.toLowerCase() : undefined),
      z.enum(kafkaSaslMechanisms).optional(),
    ),
    KAFKA_SASL_USERNAME: optionalText,
    KAFKA_SASL_PASSWORD: optionalText,
    /** TLS to the brokers (an SSL or SASL_SSL listener). */
    KAFKA_SSL: z.preprocess(unsetIfEmpty, z.stringbool().default(false)),
    /** PEM file of the CA that signed the brokers' certificates; the system CAs when unset. */
    KAFKA_SSL_CA_FILE: optionalText,
    /** PEM client certificate and key, for brokers that require mutual TLS. */
    KAFKA_SSL_CERT_FILE: optionalText,
    KAFKA_SSL_KEY_FILE: optionalText,
  })
  .superRefine((settings, ctx) => {
    if (settings.KAFKA_SASL_MECHANISM !== undefined) {
      for (const key of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
        if (settings[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `required when KAFKA_SASL_MECHANISM is set` });
        }
      }
    }
    const tlsFiles = ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const;
    for (const key of tlsFiles) {
      if (settings[key] !== undefined && !settings.KAFKA_SSL) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'only used with KAFKA_SSL=true' });
      }
    }
    if ((settings.KAFKA_SSL_CERT_FILE === undefined) !== (settings.KAFKA_SSL_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['KAFKA_SSL_CERT_FILE'],
        message: 'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together',
      });
    }
  });

export type KafkaSecuritySettings = z.infer<typeof kafkaSecurityEnv>;

type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];
/** One object type per mechanism, as kafkajs declares its SASL options. */
type KafkaSasl = {
  [M in KafkaSaslMechanism]: { mechanism: M; username: string; password: string };
}[KafkaSaslMechanism];

/** The `ssl` and `sasl` options of a kafkajs client (structurally; this package does not load kafkajs). */
export interface KafkaClientSecurity {
  ssl?: ConnectionOptions | true;
  sasl?: KafkaSasl;
}

/** Reads the PEM files the settings name; nothing when the settings ask for neither TLS nor SASL. */
export function kafkaClientSecurity(settings: KafkaSecuritySettings): KafkaClientSecurity {
  const security: KafkaClientSecurity = {};
  if (settings.KAFKA_SSL) {
    const read = (file: string | undefined) =>
      file === undefined ? undefined : fs.readFileSync(file, 'utf8');
    const tls: ConnectionOptions = {
      ca: read(settings.KAFKA_SSL_CA_FILE),
      cert: read(settings.KAFKA_SSL_CERT_FILE),
      key: read(settings.KAFKA_SSL_KEY_FILE),
    };
    security.ssl = tls.ca === undefined && tls.cert === undefined ? true : tls;
  }
  const {
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
  } = settings;
  if (mechanism !== undefined && username !== undefined && password !== undefined) {
    security.sasl = { mechanism, username, password };
  }
  return security;
}
