import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAlerter } from '../alerter.js';
import { type SmtpReceiver, mailHeader, selfSignedCert, startSmtpReceiver } from '../test-support/receivers.js';
import { emailChannel } from './email.js';

// A real SMTP server (the smtp-server package) on 127.0.0.1 receives the mail.
let smtp: SmtpReceiver | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const logsDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'web4-email-'));
  dirs.push(d);
  return join(d, 'logs');
};
const alert = { level: 'error' as const, title: '⚠️ Evening Loop Alert: night stopped at train', message: 'night stopped at train: out of memory', runId: 'r20261130_220000', details: { failedStep: 'train' } };

describe('email channel against a real SMTP server', () => {
  it('logs in and delivers the alert (subject, body, envelope)', async () => {
    smtp = await startSmtpReceiver({ user: 'alerts', password: 'pw-9f3k-secret' });
    const channel = emailChannel({ host: '127.0.0.1', port: smtp.port, secure: false, starttls: 'off', user: 'alerts', password: 'pw-9f3k-secret', from: 'web4@example.com', to: ['team@example.com', 'oncall@example.com'], timeoutMs: 5000 });
    const report = await createAlerter({ channels: [channel], logsDir: logsDir(), timeoutMs: 5000, attempts: 2, retryDelayMs: 50, deadlineMs: 10_000 }).send(alert);
    expect(report.channels[0]).toMatchObject({ channel: 'email', delivered: true, attempts: 1 });
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail).toMatchObject({ from: 'web4@example.com', to: ['team@example.com', 'oncall@example.com'], user: 'alerts', secure: false });
    expect(mailHeader(mail.raw, 'Subject')).toBe('[web4 error] ⚠️ Evening Loop Alert: night stopped at train');
    expect(mail.raw).toContain('night stopped at train: out of memory');
    expect(mail.raw).toContain('run: r20261130_220000');
    expect(mail.raw).toContain('"failedStep": "train"');
  });

  it('a wrong password is refused once (not retried) with a message naming the user, never the password', async () => {
    smtp = await startSmtpReceiver({ user: 'alerts', password: 'right-password' });
    const channel = emailChannel({ host: '127.0.0.1', port: smtp.port, secure: false, starttls: 'off', user: 'alerts', password: 'wrong-pw-77', from: 'web4@example.com', to: ['team@example.com'], timeoutMs: 5000 });
    const report = await createAlerter({ channels: [channel], logsDir: logsDir(), timeoutMs: 5000, attempts: 3, retryDelayMs: 50, deadlineMs: 10_000 }).send(alert);
    expect(report.channels[0]).toMatchObject({ delivered: false, attempts: 1 });
    expect(report.channels[0]!.error).toMatch(/login as alerts refused \(535\)/);
    expect(JSON.stringify(report)).not.toContain('wrong-pw-77');
    expect(smtp.mails).toHaveLength(0);
  });

  const cert = selfSignedCert();
  it.skipIf(!cert)('STARTTLS required: upgrades, trusts the configured CA, logs in and delivers', async () => {
    smtp = await startSmtpReceiver({ user: 'alerts', password: 'tls-pw-1234', tls: cert! });
    const settings = { host: 'localhost', port: smtp.port, secure: false, user: 'alerts', password: 'tls-pw-1234', from: 'web4@example.com', to: ['team@example.com'], timeoutMs: 5000 };
    const ok = await createAlerter({ channels: [emailChannel({ ...settings, starttls: 'required', ca: cert!.cert })], logsDir: logsDir(), timeoutMs: 5000, attempts: 1, retryDelayMs: 0, deadlineMs: 10_000 }).send(alert);
    expect(ok.channels[0]).toMatchObject({ delivered: true });
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.secure).toBe(true);
    // Without the CA the self-signed certificate is not trusted: no mail goes out in clear.
    const untrusted = await createAlerter({ channels: [emailChannel({ ...settings, starttls: 'required' })], logsDir: logsDir(), timeoutMs: 5000, attempts: 3, retryDelayMs: 50, deadlineMs: 10_000 }).send(alert);
    expect(untrusted.channels[0]).toMatchObject({ delivered: false, attempts: 1 });
    expect(untrusted.channels[0]!.error).toMatch(/TLS failed|self-signed/);
    expect(smtp.mails).toHaveLength(1);
  });

  it('a server that accepts the connection but never greets times out per attempt', async () => {
    const { createServer } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    try {
      const channel = emailChannel({ host: '127.0.0.1', port, secure: false, starttls: 'auto', from: 'web4@example.com', to: ['team@example.com'], timeoutMs: 300 });
      const started = Date.now();
      const report = await createAlerter({ channels: [channel], logsDir: logsDir(), timeoutMs: 300, attempts: 2, retryDelayMs: 50, deadlineMs: 5000 }).send(alert);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(report.channels[0]).toMatchObject({ delivered: false, attempts: 2 });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
