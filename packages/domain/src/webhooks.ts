/**
 * Outbound webhook rules shared by the portal (which validates endpoints) and the worker (which signs and
 * sends): Standard Webhooks signatures, the retry schedule, and which addresses a webhook may reach.
 * docs/webhooks.md explains them to receivers; docs/security.md the address policy.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes in base64, as Standard Webhooks libraries expect. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The `webhook-signature` header value for a body: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per
 * secret, space-separated (two during a rotation), keyed by the base64-decoded part after `whsec_`.
 */
export function signWebhook(params: {
  id: string;
  /** Unix seconds, the `webhook-timestamp` header. */
  timestamp: number;
  body: string;
  secrets: readonly string[];
}): string {
  return params.secrets
    .map((secret) => {
      const key = Buffer.from(
        secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
        'base64',
      );
      const mac = createHmac('sha256', key)
        .update(`${params.id}.${params.timestamp}.${params.body}`)
        .digest('base64');
      return `v1,${mac}`;
    })
    .join(' ');
}

/**
 * Delays before each retry after a failed attempt: 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h — nine
 * attempts over about 23 hours, after which the delivery is failed.
 */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [
  30_000,
  2 * 60_000,
  10 * 60_000,
  30 * 60_000,
  3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
  12 * 3_600_000,
];

/** Each delay is drawn uniformly from ±20 % of the schedule, so receivers recovering from an outage are not hit in step. */
export const RETRY_JITTER = 0.2;

/**
 * When to try again after failed attempt number `attempts` (1-based), or null when the schedule is
 * used up. `random` returns [0, 1).
 */
export function nextRetryDelayMs(
  attempts: number,
  delays: readonly number[] = DEFAULT_RETRY_DELAYS_MS,
  random: () => number = Math.random,
): number | null {
  const base = delays[attempts - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

export interface WebhookAddressPolicy {
  /** http:// allowed (development and tests); https is required otherwise. */
  allowHttp: boolean;
  /** Loopback and private (RFC 1918, unique-local) addresses allowed (development and tests). */
  allowPrivateNetworks: boolean;
}

/** Host names that resolve to cloud metadata services. */
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data']);

/**
 * Why an endpoint URL may not be used, or null when it may. Refused always: other schemes, credentials
 * in the URL, link-local and metadata addresses (169.254.0.0/16 — 169.254.169.254 — fe80::/10,
 * fd00:ec2::254), unspecified and multicast addresses. Refused unless allowed: http, loopback and
 * private networks. Names are checked again after DNS resolution when the worker connects.
 */
export function webhookUrlProblem(raw: string, policy: WebhookAddressPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an https:// URL';
  if (url.protocol === 'http:' && !policy.allowHttp) return 'must be an https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === '') return 'must name a host';
  if (METADATA_HOSTS.has(host)) return 'must not point at a cloud metadata service';
  if (isIP(host) !== 0) return addressProblem(host, policy);
  if (host === 'localhost' || host.endsWith('.localhost')) {
    return policy.allowPrivateNetworks ? null : 'must not point at this machine (loopback)';
  }
  return null;
}

/** Why a resolved IP address may not be connected to, or null when it may. */
export function addressProblem(address: string, policy: WebhookAddressPolicy): string | null {
  const kind = classifyAddress(address);
  switch (kind) {
    case 'public':
      return null;
    case 'link-local':
      return 'must not point at a link-local or metadata address (such as 169.254.169.254)';
    case 'unspecified':
    case 'multicast':
    case 'invalid':
      return `must not point at a ${kind} address`;
    case 'loopback':
    case 'private':
      return policy.allowPrivateNetworks ? null : `must not point at a ${kind} network address`;
  }
}

type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'invalid';

function classifyAddress(address: string): AddressKind {
  const version = isIP(address);
  if (version === 4) return classifyV4(address.split('.').map(Number) as [number, number, number, number]);
  if (version !== 6) return 'invalid';
  const words = expandV6(address);
  if (words === null) return 'invalid';
  // IPv4-mapped (::ffff:a.b.c.d) and the NAT64 well-known prefix carry an IPv4 address.
  if (words.slice(0, 5).every((word) => word === 0) && words[5] === 0xffff) return classifyV4(v4Of(words));
  if (words[0] === 0x64 && words[1] === 0xff9b && words.slice(2, 6).every((word) => word === 0)) {
    return classifyV4(v4Of(words));
  }
  if (words.every((word) => word === 0)) return 'unspecified';
  if (words.slice(0, 7).every((word) => word === 0) && words[7] === 1) return 'loopback';
  const first = words[0] ?? 0;
  if ((first & 0xffc0) === 0xfe80) return 'link-local';
  // fd00:ec2::254 is the AWS metadata service over IPv6.
  if (first === 0xfd00 && words[1] === 0x0ec2 && words[7] === 0x254) return 'link-local';
  if ((first & 0xfe00) === 0xfc00) return 'private';
  if ((first & 0xff00) === 0xff00) return 'multicast';
  return 'public';
}

function classifyV4([a, b]: [number, number, number, number]): AddressKind {
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  // Carrier-grade NAT space is not the public internet either.
  if (a === 100 && b >= 64 && b <= 127) return 'private';
  if (a >= 224) return 'multicast';
  return 'public';
}

function v4Of(words: number[]): [number, number, number, number] {
  const high = words[6] ?? 0;
  const low = words[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff];
}

function expandV6(address: string): number[] | null {
  let text = address.toLowerCase().split('%')[0] ?? '';
  // A trailing dotted IPv4 part becomes two words.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted[1].split('.').map(Number);
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((word) => parseInt(word, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  const words = [...left, ...Array<number>(missing).fill(0), ...right];
  return words.some((word) => !Number.isInteger(word) || word < 0 || word > 0xffff) ? null : words;
}
