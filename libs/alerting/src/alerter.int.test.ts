import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlerter } from './alerter.js';
import { emailChannel } from './channels/email.js';
import { logChannel } from './channels/log.js';
import { slackChannel } from './channels/slack.js';
import { type WebhookReceiver, startWebhookReceiver } from './test-support/receivers.js';
import { UNDELIVERED_FILE } from './undelivered.js';

// Real receivers: a local HTTP server standing in for Slack's incoming webhook.
let logsDir: string;
let hook: WebhookReceiver;
beforeEach(() => {
  logsDir = join(mkdtempSync(join(tmpdir(), 'web4-alerting-')), 'logs');
});
afterEach(async () => {
  await hook?.close();
  rmSync(join(logsDir, '..'), { recursive: true, force: true });
});

const texts = () => hook.bodies.map((b) => (JSON.parse(b.body) as { text: string }).text);
const pending = () => (existsSync(join(logsDir, UNDELIVERED_FILE)) ? readFileSync(join(logsDir, UNDELIVERED_FILE), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { alert: { title: string }; channels: string[] }) : []);

describe('Alerter against a real webhook receiver', () => {
  it("posts the plan's Slack body, retries a 500 with back-off and delivers on the 200", async () => {
    hook = await startWebhookReceiver({ script: [500], otherwise: 200 });
    const alerter = createAlerter({ channels: [slackChannel(`${hook.url}/services/T1/B2/tok`), logChannel(logsDir)], logsDir, timeoutMs: 2000, attempts: 3, retryDelayMs: 100, deadlineMs: 10_000 });
    const report = await alerter.send({ level: 'error', title: 'candidate v1 rejected', message: 'candidate v1 rejected' });
    expect(report.delivered).toBe(true);
    expect(report.channels.find((c) => c.channel === 'slack')).toMatchObject({ delivered: true, attempts: 2 });
    expect(hook.bodies.map((b) => b.path)).toEqual(['/services/T1/B2/tok', '/services/T1/B2/tok']);
    expect(JSON.parse(hook.bodies[1]!.body)).toEqual({ text: '⚠️ Evening Loop Alert: candidate v1 rejected' });
    const line = JSON.parse(readFileSync(join(logsDir, 'alerts.log'), 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', title: 'candidate v1 rejected', message: 'candidate v1 rejected' });
    expect(report.pending).toBe(0);
    expect(existsSync(join(logsDir, UNDELIVERED_FILE))).toBe(false);
  });

  it('a 404 (revoked webhook) is not retried and says what to do', async () => {
    hook = await startWebhookReceiver({ otherwise: 404 });
    const alerter = createAlerter({ channels: [slackChannel(hook.url)], logsDir, timeoutMs: 2000, attempts: 3, retryDelayMs: 50, deadlineMs: 5000 });
    const report = await alerter.send({ level: 'warn', title: 'x', message: 'x' });
    expect(report.channels[0]).toMatchObject({ delivered: false, attempts: 1 });
    expect(report.channels[0]!.error).toMatch(/HTTP 404.*create a new one in Slack/);
  });

  it('a hanging webhook holds neither the other channels nor the caller past the deadline; its alert is kept and sent with the next one', async () => {
    hook = await startWebhookReceiver({ otherwise: 'hang' });
    const alerter = createAlerter({ channels: [slackChannel(hook.url), logChannel(logsDir)], logsDir, timeoutMs: 400, attempts: 5, retryDelayMs: 100, deadlineMs: 1500 });
    const started = Date.now();
    const first = await alerter.send({ level: 'error', title: 'night stopped at train', message: 'night stopped at train' });
    const tookMs = Date.now() - started;
    expect(tookMs).toBeGreaterThanOrEqual(1400);
    expect(tookMs).toBeLessThan(2500);
    expect(first.delivered).toBe(false);
    const log = first.channels.find((c) => c.channel === 'log')!;
    expect(log.delivered).toBe(true);
    expect(log.ms).toBeLessThan(500);
    const slack = first.channels.find((c) => c.channel === 'slack')!;
    expect(slack.delivered).toBe(false);
    expect(slack.attempts).toBeGreaterThanOrEqual(2); // timed out, retried
    expect(slack.error).toMatch(/deadline \(1500 ms\).*no answer within 400 ms/);
    expect(first.pending).toBe(1);
    expect(pending()).toMatchObject([{ alert: { title: 'night stopped at train' }, channels: ['slack'] }]);

    // The receiver recovers: the next alert brings the kept one along, to Slack only.
    hook.otherwise = 200;
    const received = hook.bodies.length;
    const second = await alerter.send({ level: 'warn', title: 'candidate v2 rejected', message: 'candidate v2 rejected' });
    expect(second).toMatchObject({ delivered: true, pending: 0, resent: { alerts: 1, delivered: 1 } });
    expect(texts().slice(received).sort()).toEqual(['⚠️ Evening Loop Alert: candidate v2 rejected', '⚠️ Evening Loop Alert: night stopped at train']);
    expect(existsSync(join(logsDir, UNDELIVERED_FILE))).toBe(false);
    expect(readdirClaims()).toEqual([]);
    // The log channel took each alert once: the kept alert was not written to alerts.log again.
    expect(readFileSync(join(logsDir, 'alerts.log'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('an SMTP host that does not resolve fails the email channel only, with a clear error, and is not retried', async () => {
    hook = await startWebhookReceiver();
    const email = emailChannel({ host: 'smtp.does-not-exist.invalid', port: 587, secure: false, starttls: 'auto', from: 'a@b.c', to: ['t@b.c'], timeoutMs: 2000 });
    const alerter = createAlerter({ channels: [email, slackChannel(hook.url), logChannel(logsDir)], logsDir, timeoutMs: 2000, attempts: 3, retryDelayMs: 50, deadlineMs: 8000 });
    const report = await alerter.send({ level: 'error', title: 'disk full', message: 'disk full' });
    expect(report.channels.map((c) => [c.channel, c.delivered])).toEqual([['email', false], ['slack', true], ['log', true]]);
    const e = report.channels[0]!;
    expect(e.attempts).toBe(1);
    expect(e.error).toBe('SMTP host "smtp.does-not-exist.invalid" does not resolve (ENOTFOUND): fix alerts.email.host');
    expect(pending()).toMatchObject([{ channels: ['email'] }]);
  });
});

function readdirClaims(): string[] {
  return existsSync(logsDir) ? readdirSync(logsDir).filter((n) => n.includes('.claim-')) : [];
}
