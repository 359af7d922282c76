/**
 * `npm run users -- create-admin` and the seed's guards (issue 12, finding 5), run as processes the way
 * an operator runs them: the password arrives on standard input, never on the command line.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eq, inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/client';
import { dbEnv } from '../src/env';
import { runMigrations } from '../src/migrate';
import { hashPassword, verifyPassword } from '../src/password';
import { users } from '../src/schema/index';
import { demoPassword, demoUsers } from '../src/seed';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI of this package with `npx tsx`, `stdin` written to it, and the environment given. */
function runCli(
  script: string,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn('npx', ['tsx', `src/cli/${script}.ts`, ...args], {
      cwd: packageDir,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

describe('npm run users -- create-admin', () => {
  const { db, close } = createDb({ max: 2 });
  const emails: string[] = [];
  const email = () => {
    const address = `cli-admin-${randomUUID()}@db-tests.meterops.test`;
    emails.push(address);
    return address;
  };

  afterAll(async () => {
    if (emails.length > 0) await db.delete(users).where(inArray(users.email, emails));
    await close();
  });

  it('creates an administrator with the password read from stdin', async () => {
    const address = email();
    const run = await runCli(
      'users',
      ['create-admin', '--email', address.toUpperCase(), '--name', 'Ops Lead'],
      {
        stdin: 'river copper signal 31\n',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`created administrator ${address}`);
    const [row] = await db.select().from(users).where(eq(users.email, address));
    expect(row).toMatchObject({ role: 'admin', name: 'Ops Lead', customerId: null, disabledAt: null });
    expect(await verifyPassword(row?.passwordHash ?? '', 'river copper signal 31')).toBe(true);
  });

  it('asks on a terminal twice, without echo, and again after a weak password', async () => {
    const address = email();
    const password = 'harbour lantern quartz 12';
    // util-linux `script` gives the CLI a pseudo-terminal; answers go in as each prompt appears.
    const child = spawn(
      'script',
      ['-qfec', `npx tsx src/cli/users.ts create-admin --email ${address}`, '/dev/null'],
      {
        cwd: packageDir,
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const answers = ['short\r', `${password}\r`, `${password}\r`];
    const prompts = /(Password for the new administrator: |Same password again: )/g;
    let output = '';
    let answered = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const asked = output.match(prompts)?.length ?? 0;
      while (answered < asked && answered < answers.length) child.stdin.write(answers[answered++]);
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(output).toContain('password refused: Use at least 12 characters');
    expect(output).toContain(`created administrator ${address}`);
    expect(output).not.toContain(password);
    expect(output).not.toContain('short');
    const [row] = await db.select().from(users).where(eq(users.email, address));
    expect(await verifyPassword(row?.passwordHash ?? '', password)).toBe(true);
  });

  it('refuses a weak password with the reason, and creates nothing', async () => {
    const address = email();
    for (const [password, reason] of [
      ['short', 'Use at least 12 characters'],
      [demoPassword, 'published or too common'],
      ['aaaaaaaaaaaaaaaa', 'Use more different characters'],
    ] as const) {
      const run = await runCli('users', ['create-admin', '--email', address], { stdin: `${password}\n` });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`password refused: `);
      expect(run.stderr).toContain(reason);
    }
    expect(await db.select().from(users).where(eq(users.email, address))).toEqual([]);
  });

  it('refuses an email that has an account, and a missing email', async () => {
    const address = email();
    await db.insert(users).values({ email: address, name: 'Existing', passwordHash: 'x', role: 'agent' });
    const taken = await runCli('users', ['create-admin', '--email', address], {
      stdin: 'river copper signal 31\n',
    });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('exists already');
    const [row] = await db.select().from(users).where(eq(users.email, address));
    expect(row?.role).toBe('agent');
    const missing = await runCli('users', ['create-admin'], { stdin: 'river copper signal 31\n' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--email must be an email address');
  });
});

describe('the seed and the demo users', () => {
  const name = `meterops_seed_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const server = new URL(dbEnv.DATABASE_URL);
  const url = new URL(dbEnv.DATABASE_URL);
  url.pathname = `/${name}`;
  const admin = () => {
    const maintenance = new URL(server.toString());
    maintenance.pathname = '/postgres';
    return postgres(maintenance.toString(), { max: 1, onnotice: () => {} });
  };
  let database: ReturnType<typeof createDb>;
  const demoEmails = demoUsers.map((user) => user.email);

  beforeAll(async () => {
    const sql = admin();
    await sql.unsafe(`create database ${name}`);
    await sql.end();
    await runMigrations(url.toString());
    database = createDb({ url: url.toString(), max: 2 });
  });

  afterAll(async () => {
    await database?.close();
    const sql = admin();
    await sql.unsafe(`drop database if exists ${name} with (force)`);
    await sql.end();
  });

  const seedEnv = (nodeEnv: string) => ({ DATABASE_URL: url.toString(), NODE_ENV: nodeEnv });

  it('refuses to create the demo users with NODE_ENV=production, and writes nothing', async () => {
    const run = await runCli('seed', ['--meters', '1'], { env: seedEnv('production') });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('refusing to seed: NODE_ENV=production');
    expect(await database.db.select().from(users)).toEqual([]);
  });

  it('creates them in production only with --demo', async () => {
    const run = await runCli('seed', ['--meters', '1', '--demo'], { env: seedEnv('production') });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const rows = await database.db
      .select({ email: users.email })
      .from(users)
      .where(inArray(users.email, demoEmails));
    expect(rows.map((row) => row.email).sort()).toEqual([...demoEmails].sort());
  });

  it('seeding again keeps a disabled demo account disabled and a changed password changed', async () => {
    const disabledAt = new Date('2026-01-02T03:04:05Z');
    const changedHash = await hashPassword('a password the owner chose');
    await database.db.update(users).set({ disabledAt }).where(eq(users.email, 'admin@meterops.test'));
    await database.db
      .update(users)
      .set({ passwordHash: changedHash })
      .where(eq(users.email, 'operator@meterops.test'));

    const run = await runCli('seed', ['--meters', '1'], { env: seedEnv('development') });
    expect(run.code).toBe(0);

    const [adminRow] = await database.db.select().from(users).where(eq(users.email, 'admin@meterops.test'));
    expect(adminRow?.disabledAt).toEqual(disabledAt);
    const [operatorRow] = await database.db
      .select()
      .from(users)
      .where(eq(users.email, 'operator@meterops.test'));
    expect(operatorRow?.passwordHash).toBe(changedHash);
  });
});
