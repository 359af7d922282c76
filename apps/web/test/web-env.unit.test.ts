import { describe, expect, it } from 'vitest';
import { parseWebEnv } from '../src/env';

describe('web environment', () => {
  it('makes the session cookie secure by default everywhere but development', () => {
    expect(parseWebEnv({ NODE_ENV: 'production' }).SESSION_COOKIE_SECURE).toBe(true);
    expect(parseWebEnv({ NODE_ENV: 'test' }).SESSION_COOKIE_SECURE).toBe(true);
    expect(parseWebEnv({}).NODE_ENV).toBe('development');
    expect(parseWebEnv({ NODE_ENV: 'development' }).SESSION_COOKIE_SECURE).toBe(false);
  });

  it('lets a plain-http run turn it off explicitly, and a development run on', () => {
    expect(
      parseWebEnv({ NODE_ENV: 'production', SESSION_COOKIE_SECURE: 'false' }).SESSION_COOKIE_SECURE,
    ).toBe(false);
    expect(
      parseWebEnv({ NODE_ENV: 'development', SESSION_COOKIE_SECURE: 'true' }).SESSION_COOKIE_SECURE,
    ).toBe(true);
    expect(parseWebEnv({ NODE_ENV: 'production', SESSION_COOKIE_SECURE: '' }).SESSION_COOKIE_SECURE).toBe(
      true,
    );
  });

  it('trusts no proxy and wants ten similar homes unless told otherwise', () => {
    const env = parseWebEnv({});
    expect(env.TRUSTED_PROXIES).toBe(0);
    expect(env.PEER_MIN_COUNT).toBe(10);
    expect(parseWebEnv({ TRUSTED_PROXIES: '2', PEER_MIN_COUNT: '25' })).toMatchObject({
      TRUSTED_PROXIES: 2,
      PEER_MIN_COUNT: 25,
    });
  });

  it('refuses settings that would weaken the protections', () => {
    expect(() => parseWebEnv({ TRUSTED_PROXIES: '-1' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => parseWebEnv({ PEER_MIN_COUNT: '2' })).toThrow(/PEER_MIN_COUNT/);
    expect(() => parseWebEnv({ SESSION_COOKIE_SECURE: 'maybe' })).toThrow(/SESSION_COOKIE_SECURE/);
  });
});
