import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText, registerSecret } from './logger.js';

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
