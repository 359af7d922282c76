/**
 * The client address that sign-in throttling keys on. `next start` cannot provide it: Next copies the
 * socket address into X-Forwarded-For only when the header is absent, so a client that sends its own
 * header chooses its address. The web app's server (../../server.ts) therefore resolves the address from
 * the socket and the trusted part of the header, and hands Next exactly one address in X-Forwarded-For.
 */

/** `::ffff:192.0.2.1` (an IPv4 client on a dual-stack socket) is `192.0.2.1`. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/**
 * Each trusted proxy appends the address it received the request from, and the nearest one is the socket
 * peer; so the client is `trustedProxies` hops to the left of the socket. Anything further left was
 * written by the client and is ignored. With fewer entries than trusted proxies, the left-most is the
 * best there is (the request came from inside the proxy chain).
 */
export function resolveClientAddress(params: {
  forwardedFor: string | string[] | undefined;
  socketAddress: string | undefined;
  trustedProxies: number;
}): string {
  const header = Array.isArray(params.forwardedFor) ? params.forwardedFor.join(',') : params.forwardedFor;
  const forwarded =
    params.trustedProxies === 0
      ? []
      : (header ?? '')
          .split(',')
          .map((entry) => entry.trim())
          .filter(Boolean);
  const chain = [...forwarded, params.socketAddress ?? 'unknown'];
  const client = chain[Math.max(0, chain.length - 1 - params.trustedProxies)] ?? 'unknown';
  return normalise(client);
}

/**
 * The block sign-in throttling counts an address in: an IPv4 address by itself, an IPv6 address by its
 * /64 network, because one subscriber or host gets a whole /64 and could otherwise try from 2^64 addresses.
 * Anything that is not an IP address (tests, `unknown`) is its own block.
 */
export function throttlingBlock(address: string): string {
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('%')[0]?.toLowerCase().split('::') ?? [];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  if (groups.length !== 8 || !groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return address;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
