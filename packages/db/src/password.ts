import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with OWASP's second recommended profile (19 MiB, 2 passes, 1 lane): about 20 ms here,
 * slow enough to make offline guessing expensive, fast enough for a sign-in page.
 */
const argon2Options = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash must read as "wrong password", never as a server error that leaks detail.
    return false;
  }
}
