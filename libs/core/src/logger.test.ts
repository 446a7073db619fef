import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText, registerSecret } from './logger.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsx = pathToFileURL(join(repo, 'node_modules/tsx/dist/loader.mjs')).href;
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
/** A JSON log line as pino writes it: what a person must never see on a terminal. */
const JSON_LOG_LINE = /^\s*\{"level":\d+/m;

/**
 * A process that logs one info and one warn line around a line of "report" on stdout, as a CLI
 * command does; `setup` is createLogger's argument, written into the program.
 */
function loggingProgram(dir: string, setup: Record<string, unknown>): string {
  const file = join(dir, 'program.ts');
  writeFileSync(
    file,
    [
      `import { createLogger } from ${JSON.stringify(join(repo, 'libs/core/src/logger.ts'))};`,
      `const logger = createLogger(${JSON.stringify(setup)});`,
      `logger.info({ case: 'c1' }, 'validation case');`,
      `process.stdout.write('REPORT LINE\\n');`,
      `logger.warn({ channel: 'slack' }, 'alert not delivered');`,
      `logger.flush();`,
      `setTimeout(() => {}, 300);`,
    ].join('\n'),
  );
  return file;
}

/** Run it on a real pseudo-terminal (util-linux `script`): stdout and stderr are a TTY. */
function onTerminal(program: string): string {
  const command = [process.execPath, '--import', tsx, program].map((a) => `'${a}'`).join(' ');
  return execFileSync('script', ['-qfec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000 }).replace(/\x1b\[[0-9;]*m/g, '');
}

/** Run it with pipes, as cron or a script does. */
function withPipes(program: string): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, program], { encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout, stderr: r.stderr };
}

async function fileLines(file: string, count: number): Promise<Array<Record<string, unknown>>> {
  let text = '';
  for (let i = 0; i < 50 && text.trim().split('\n').filter(Boolean).length < count; i++) {
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not yet created
    }
    if (text.trim().split('\n').filter(Boolean).length < count) await new Promise((r) => setTimeout(r, 50));
  }
  return text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.skipIf(!hasScript)('logger on a terminal and in pipes (real pty via util-linux script)', () => {
  it('terminal: no JSON; routine lines only in the file, warnings as one readable line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-tty-'));
    try {
      const file = join(dir, 'logs', 'cmd.log');
      const out = onTerminal(loggingProgram(dir, { file, level: 'info', consoleLevel: 'warn' }));
      expect(out).toContain('REPORT LINE');
      expect(out).not.toMatch(JSON_LOG_LINE);
      expect(out).not.toContain('validation case');
      expect(out).toMatch(/WARN: alert not delivered/);
      const lines = await fileLines(file, 2);
      expect(lines.map((l) => [l.level, l.msg])).toEqual([
        [30, 'validation case'],
        [40, 'alert not delivered'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('terminal with -v (consoleLevel debug): every line, readable, still no JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-tty-'));
    try {
      const out = onTerminal(loggingProgram(dir, { file: join(dir, 'cmd.log'), level: 'debug', consoleLevel: 'debug' }));
      expect(out).toMatch(/INFO: validation case/);
      expect(out).toMatch(/WARN: alert not delivered/);
      expect(out).not.toMatch(JSON_LOG_LINE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('terminal with --json (consoleFormat json): JSON lines on stderr, for machines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-tty-'));
    try {
      const out = onTerminal(loggingProgram(dir, { level: 'info', consoleLevel: 'warn', consoleFormat: 'json' }));
      expect(out).toMatch(/^\{"level":40,.*"msg":"alert not delivered"\}/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('pipes (cron, scripts): stdout has only the report; stderr has the warnings as JSON lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-pipe-'));
    try {
      const { stdout, stderr } = withPipes(loggingProgram(dir, { file: join(dir, 'cmd.log'), level: 'info', consoleLevel: 'warn' }));
      expect(stdout).toBe('REPORT LINE\n');
      const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 40, msg: 'alert not delivered', channel: 'slack' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('logger', () => {
  it('writes JSON lines to its file with secrets redacted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-'));
    try {
      const file = join(dir, 'logs', 'x.log');
      const logger = createLogger({ file, console: false, level: 'info' });
      logger.info({ webhookUrl: 'https://hooks.slack.com/services/T0/B0/SECRET', smtp: { password: 'hunter22' } }, 'alert sent');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      // the transport runs in a worker; give it a moment to write
      let text = '';
      for (let i = 0; i < 50 && !text.includes('alert sent'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        try { text = readFileSync(file, 'utf8'); } catch { /* not yet created */ }
      }
      const line = JSON.parse(text.trim().split('\n').pop()!);
      expect(line.msg).toBe('alert sent');
      expect(line.webhookUrl).toBe('[redacted]');
      expect(line.smtp.password).toBe('[redacted]');
      expect(text).not.toContain('SECRET');
      expect(text).not.toContain('hunter22');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a verdict named `pass` (the validator's final line) and still redacts nodemailer's auth.pass", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-'));
    try {
      const file = join(dir, 'logs', 'x.log');
      const logger = createLogger({ file, console: false, level: 'info' });
      logger.info({ model: 'web4-agent:latest', passed: 17, total: 20, pass: false, summary: { pass: true } }, 'validation finished');
      logger.info({ smtp: { auth: { user: 'bot', pass: 'hunter22' } } }, 'smtp settings');
      logger.info({ auth: { user: 'bot', pass: 'hunter23' } }, 'smtp auth');
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      let text = '';
      for (let i = 0; i < 50 && !text.includes('smtp auth'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        try { text = readFileSync(file, 'utf8'); } catch { /* not yet created */ }
      }
      const [verdict, nested, top] = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(verdict).toMatchObject({ msg: 'validation finished', pass: false, summary: { pass: true } });
      expect(nested!.smtp.auth).toEqual({ user: 'bot', pass: '[redacted]' });
      expect(top!.auth).toEqual({ user: 'bot', pass: '[redacted]' });
      expect(text).not.toContain('hunter2');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('redacts webhook tokens and URL passwords in free text', () => {
    expect(redactText('POST https://hooks.slack.com/services/T1/B2/xyz failed')).toBe('POST https://hooks.slack.com/services/[redacted] failed');
    expect(redactText('smtp://bot:pa55word@mail.local:25')).toBe('smtp://bot:[redacted]@mail.local:25');
    expect(redactText('token abcd1234 here', ['abcd1234'])).toBe('token [redacted] here');
  });

  it('redacts a registered secret value wherever it occurs, in text and in every log line', async () => {
    const secret = 'http://127.0.0.1:9/hook/registered-s3cret "q"';
    registerSecret(secret);
    expect(redactText(`posting to ${secret} failed`)).toBe('posting to [redacted] failed');
    expect(redactText(JSON.stringify({ e: `at ${secret}` }))).toBe('{"e":"at [redacted]"}');
    const dir = mkdtempSync(join(tmpdir(), 'web4-log-'));
    try {
      const file = join(dir, 'x.log');
      const logger = createLogger({ file, sync: true });
      logger.warn({ anyKey: { nested: secret } }, `send to ${secret} failed`);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('failed');
      expect(text).not.toContain('registered-s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
