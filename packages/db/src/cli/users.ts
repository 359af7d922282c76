/**
 * `npm run users -- create-admin --email admin@example.com [--name "Ada Admin"]`: the first administrator
 * of a deployment (and any later one made from a shell). The password is asked for twice, unechoed, on
 * a terminal; otherwise it is the first line of standard input, so scripts can pipe it in without it
 * appearing in the process list or the shell history.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { passwordWeakness } from '@meterops/domain/password-policy';
import { z } from 'zod';
import { createDb } from '../client';
import { hashPassword } from '../password';
import { createUser, emailTaken } from '../queries/users';

const usage =
  'usage: npm run users -- create-admin --email ADDRESS [--name NAME]  (password: prompted, or stdin)';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    email: { type: 'string' },
    name: { type: 'string', default: 'Administrator' },
  },
});
if (positionals[0] !== 'create-admin' || positionals.length !== 1) fail(usage);
const email = z.email().max(254).safeParse(values.email?.trim().toLowerCase());
if (!email.success) fail(`--email must be an email address\n${usage}`);
const name = values.name.trim();
if (name.length < 2 || name.length > 100) fail('--name must be 2 to 100 characters');

/** Reads one line from a terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const { stdin, stdout } = process;
  // Echo goes off before the question appears, so nothing typed after it is shown.
  stdin.setRawMode(true);
  stdout.write(question);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write('\n');
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (character === '\u0003' || character === '\u0004') {
          finish();
          reject(new Error('cancelled'));
          return;
        }
        value = character === '\u007f' || character === '\b' ? value.slice(0, -1) : value + character;
      }
    };
    stdin.on('data', onData);
  });
}

/** The first line of standard input (without its line ending). */
async function readFirstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFirstLine();
  for (;;) {
    const first = await promptHidden('Password for the new administrator: ');
    const weakness = passwordWeakness(first, { email: email.data, name });
    if (weakness !== null) {
      console.error(`password refused: ${weakness}`);
      continue;
    }
    if ((await promptHidden('Same password again: ')) === first) return first;
    console.error('the two passwords differ; again');
  }
}

const password = await readPassword();
const weakness = passwordWeakness(password, { email: email.data, name });
if (weakness !== null) fail(`password refused: ${weakness}`);

const { db, close } = createDb({ max: 1, applicationName: 'meterops-users' });
try {
  if (await emailTaken(db, { email: email.data })) {
    fail(`a user with the email ${email.data} exists already; change their role on the portal's users page`);
  }
  const created = await createUser(db, {
    email: email.data,
    name,
    passwordHash: await hashPassword(password),
    role: 'admin',
    customerId: null,
  });
  console.log(`created administrator ${email.data} (${created.id}); sign in with the password just given`);
} finally {
  await close();
}
