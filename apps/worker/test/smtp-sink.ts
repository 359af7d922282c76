/**
 * A real SMTP server for the alerting tests: Debian's aiosmtpd (`python3-aiosmtpd`, installed by .ci/run)
 * with its Mailbox handler, which stores every message it accepts in a Maildir the test reads back.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReceivedMail {
  headers: Record<string, string>;
  body: string;
}

export interface SmtpSink {
  port: number;
  /** Every message received so far, in arrival order. */
  messages(): Promise<ReceivedMail[]>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function parse(raw: string): ReceivedMail {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = (split < 0 ? text : text.slice(0, split)).replace(/\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = split < 0 ? '' : text.slice(split + 2);
  return {
    headers,
    body: headers['content-transfer-encoding'] === 'quoted-printable' ? decodeQuotedPrintable(body) : body,
  };
}

/** Quoted-printable (RFC 2045), as nodemailer writes a text body with long lines. */
function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\n/g, '')
    .split(/(=[0-9A-F]{2})/)
    .flatMap((part) =>
      /^=[0-9A-F]{2}$/.test(part)
        ? [Buffer.from([Number.parseInt(part.slice(1), 16)])]
        : [Buffer.from(part, 'utf8')],
    );
  return Buffer.concat(bytes).toString('utf8');
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const dir = await mkdtemp(join(tmpdir(), 'meterops-smtp-'));
  const port = await freePort();
  // Debian's python3 has the package; a pyenv or venv python3 first on PATH would not.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const child = spawn(
    python,
    [
      '-m',
      'aiosmtpd',
      '-n',
      '-l',
      `127.0.0.1:${port}`,
      '-c',
      'aiosmtpd.handlers.Mailbox',
      join(dir, 'maildir'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`aiosmtpd did not start (is python3-aiosmtpd installed?): ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    async messages() {
      const files: { path: string; mtime: string }[] = [];
      for (const sub of ['new', 'cur']) {
        const folder = join(dir, 'maildir', sub);
        const names = await readdir(folder).catch(() => []);
        // Maildir names start with the delivery time in seconds, then a sequence: sorted, they are in order.
        for (const name of names) files.push({ path: join(folder, name), mtime: name });
      }
      files.sort((a, b) => a.mtime.localeCompare(b.mtime, 'en', { numeric: true }));
      return Promise.all(files.map(async (file) => parse(await readFile(file.path, 'utf8'))));
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
