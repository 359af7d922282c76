/**
 * What the portal accepts as a password, after NIST SP 800-63B: length rather than composition rules,
 * and a refusal of passwords that are known, published or built from the account's own name. The same
 * rule serves `npm run users -- create-admin`, the change-password form and an administrator's reset.
 */

export const PASSWORD_MIN_LENGTH = 12;
/** Bounded so that a huge input cannot be fed to the password hash. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Passwords that attackers try first: the demo's published one, and the most common ones of at least
 * 12 characters in public breach corpora. Compared without case, spaces or punctuation.
 */
const knownPasswords = new Set(
  [
    'meterops-demo',
    'meteropsdemo',
    'correct horse battery staple',
    'password1234',
    'password12345',
    'password123456',
    'passwordpassword',
    'qwertyuiop123',
    'qwertyuiopasdf',
    'qwerty123456',
    '123456789012',
    '1234567890123',
    '12345678901234',
    'administrator',
    'administrator1',
    'letmein123456',
    'iloveyou1234',
    'welcome12345',
    'changeme1234',
    'trustno1trustno1',
    'abcdefghijkl',
    'abc123abc123',
    'aaaaaaaaaaaa',
  ].map(normalise),
);

function normalise(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Null when the password is acceptable, otherwise why not, phrased for the person choosing it. */
export function passwordWeakness(
  password: string,
  account: { email?: string; name?: string } = {},
): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters`;
  const plain = normalise(password);
  if (knownPasswords.has(plain) || knownPasswords.has(password.toLowerCase())) {
    return 'This password is published or too common; choose another';
  }
  if (new Set(password).size < 5) return 'Use more different characters (at least 5)';
  const ownWords = [account.email?.split('@')[0], account.email, ...(account.name?.split(/\s+/) ?? [])]
    .map((word) => normalise(word ?? ''))
    .filter((word) => word.length >= 4);
  // A password that is mostly the user's own name or address is the first thing guessed.
  if (ownWords.some((word) => plain.includes(word) && word.length * 2 >= plain.length)) {
    return 'Do not build the password from your name or email';
  }
  return null;
}
