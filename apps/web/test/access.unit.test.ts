import { describe, expect, it } from 'vitest';
import { homeFor, needsSignIn, safeNextPath, sectionsFor } from '../src/lib/access';

describe('access', () => {
  it('starts each role where its work is', () => {
    expect(homeFor('operator')).toBe('/ops');
    expect(homeFor('admin')).toBe('/ops');
    expect(homeFor('agent')).toBe('/service');
    expect(homeFor('customer')).toBe('/usage');
  });

  it('shows a customer only their usage and the status page', () => {
    expect(sectionsFor('customer').map((section) => section.href)).toEqual(['/usage', '/status']);
    expect(sectionsFor(null).map((section) => section.href)).toEqual(['/status']);
  });

  it('asks for sign-in under protected sections only', () => {
    expect(needsSignIn('/ops')).toBe(true);
    expect(needsSignIn('/ops/pipeline')).toBe(true);
    expect(needsSignIn('/opsx')).toBe(false);
    expect(needsSignIn('/status')).toBe(false);
    expect(needsSignIn('/sign-in')).toBe(false);
  });

  it('accepts only same-site paths as the place to return to after sign-in', () => {
    expect(safeNextPath('/ops?day=2026-01-01')).toBe('/ops?day=2026-01-01');
    expect(safeNextPath('//evil.example/')).toBeNull();
    expect(safeNextPath('/\\evil.example')).toBeNull();
    expect(safeNextPath('https://evil.example/')).toBeNull();
    expect(safeNextPath(['/ops'])).toBeNull();
  });
});
