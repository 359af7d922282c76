import { describe, expect, it } from 'vitest';
import { passwordWeakness } from '../src/password-policy';

describe('passwordWeakness', () => {
  it('accepts a long passphrase', () => {
    expect(
      passwordWeakness('tidal meter orchard 27', { email: 'ada@example.com', name: 'Ada Admin' }),
    ).toBeNull();
  });

  it('refuses short and overlong passwords', () => {
    expect(passwordWeakness('elevenchars')).toBe('Use at least 12 characters');
    expect(passwordWeakness('x'.repeat(200) + 'abcdefghijklmnopqrstuvwxyz'.repeat(3))).toBe(
      'Use at most 256 characters',
    );
  });

  it('refuses the published demo password and common ones, whatever the case or punctuation', () => {
    expect(passwordWeakness('meterops-demo')).toMatch(/published or too common/);
    expect(passwordWeakness('MeterOps Demo')).toMatch(/published or too common/);
    expect(passwordWeakness('Password1234')).toMatch(/published or too common/);
  });

  it('refuses repetitive passwords', () => {
    expect(passwordWeakness('abababababababab')).toBe('Use more different characters (at least 5)');
  });

  it('refuses a password made of the account name or email', () => {
    const account = { email: 'christopher@example.com', name: 'Chris Customer' };
    expect(passwordWeakness('christopher2026', account)).toBe(
      'Do not build the password from your name or email',
    );
    expect(passwordWeakness('Customer!Customer', account)).toBe(
      'Do not build the password from your name or email',
    );
    expect(passwordWeakness('customer lantern harbour 9', account)).toBeNull();
  });
});
