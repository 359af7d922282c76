import { describe, expect, it } from 'vitest';
import { resolveClientAddress, throttlingBlock } from '../src/server/client-address';
import { failureDelayMs, secondsUntilAllowed, signInThrottle } from '../src/server/auth/throttle';

describe('sign-in spacing', () => {
  const policy = { baseDelaySeconds: 30, maxDelaySeconds: 900 };

  it('lets attempts through below the limit, however recent the failures', () => {
    expect(secondsUntilAllowed({ failures: 4, secondsSinceLast: 0 }, 5, policy)).toBe(0);
    expect(secondsUntilAllowed({ failures: 0, secondsSinceLast: null }, 5, policy)).toBe(0);
  });

  it('waits the base delay after the limit-th failure, then twice as long per further failure', () => {
    expect(secondsUntilAllowed({ failures: 5, secondsSinceLast: 0 }, 5, policy)).toBe(30);
    expect(secondsUntilAllowed({ failures: 5, secondsSinceLast: 10.5 }, 5, policy)).toBe(20);
    expect(secondsUntilAllowed({ failures: 6, secondsSinceLast: 0 }, 5, policy)).toBe(60);
    expect(secondsUntilAllowed({ failures: 8, secondsSinceLast: 0 }, 5, policy)).toBe(240);
  });

  it('never waits longer than the cap, and not at all once the wait has passed', () => {
    expect(secondsUntilAllowed({ failures: 40, secondsSinceLast: 0 }, 5, policy)).toBe(900);
    expect(secondsUntilAllowed({ failures: 5, secondsSinceLast: 31 }, 5, policy)).toBe(0);
  });

  it('never makes one wait outlast the window, so a refusal always ends by itself', () => {
    expect(signInThrottle.maxDelaySeconds).toBeLessThanOrEqual(signInThrottle.windowSeconds);
  });

  it('slows wrong answers per earlier failure on the email, up to the cap', () => {
    expect(failureDelayMs(0)).toBe(0);
    expect(failureDelayMs(2)).toBe(2 * signInThrottle.delayStepMs);
    expect(failureDelayMs(1_000)).toBe(signInThrottle.delayCapMs);
  });
});

describe('client address', () => {
  it('ignores X-Forwarded-For when no proxy is trusted: the socket address is the client', () => {
    expect(
      resolveClientAddress({ forwardedFor: '203.0.113.9', socketAddress: '198.51.100.7', trustedProxies: 0 }),
    ).toBe('198.51.100.7');
    expect(resolveClientAddress({ forwardedFor: undefined, socketAddress: '::1', trustedProxies: 0 })).toBe(
      '::1',
    );
  });

  it('takes the address the outermost trusted proxy saw, never what the client wrote before it', () => {
    // The client forged 1.1.1.1; the proxy appended the address it saw, 203.0.113.9.
    expect(
      resolveClientAddress({
        forwardedFor: '1.1.1.1, 203.0.113.9',
        socketAddress: '10.0.0.2',
        trustedProxies: 1,
      }),
    ).toBe('203.0.113.9');
    expect(
      resolveClientAddress({
        forwardedFor: ['1.1.1.1, 203.0.113.9', '10.0.0.3'],
        socketAddress: '10.0.0.2',
        trustedProxies: 2,
      }),
    ).toBe('203.0.113.9');
  });

  it('falls back to the left-most entry when the chain is shorter than the proxies trusted', () => {
    expect(
      resolveClientAddress({ forwardedFor: undefined, socketAddress: '10.0.0.2', trustedProxies: 1 }),
    ).toBe('10.0.0.2');
  });

  it('reads an IPv4 client on a dual-stack socket as its IPv4 address', () => {
    expect(
      resolveClientAddress({ forwardedFor: undefined, socketAddress: '::ffff:192.0.2.1', trustedProxies: 0 }),
    ).toBe('192.0.2.1');
  });
});

describe('throttling block', () => {
  it('counts an IPv6 address by its /64 network, written out or compressed', () => {
    expect(throttlingBlock('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(throttlingBlock('2001:0db8:0001:0002::ffff')).toBe('2001:db8:1:2::/64');
    expect(throttlingBlock('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttlingBlock('::1')).toBe('0:0:0:0::/64');
    expect(throttlingBlock('FE80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('keeps IPv4 addresses and anything that is not an address as they are', () => {
    expect(throttlingBlock('192.0.2.1')).toBe('192.0.2.1');
    expect(throttlingBlock('unknown')).toBe('unknown');
    expect(throttlingBlock('test-1234')).toBe('test-1234');
    expect(throttlingBlock('not:an:address')).toBe('not:an:address');
  });
});
