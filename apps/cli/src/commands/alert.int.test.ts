import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SmtpReceiver, type WebhookReceiver, startSmtpReceiver, startWebhookReceiver } from '@web4/alerting/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `web4 alert send` as a user runs it, against a real webhook receiver and a real SMTP server.
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
const root = mkdtempSync(join(tmpdir(), 'web4-alert-cli-'));
let hook: WebhookReceiver;
let smtp: SmtpReceiver;
let env: Record<string, string>;
const outputs: string[] = [];

const TOKEN = 'xoxb-webhook-token-31337';
const PASSWORD = 'smtp-pass-8c1e-secret';
const WRONG_PASSWORD = 'wrong-pass-55aa-secret';
let webhookUrl: string;

function web4(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repo, 'tools/web4.mjs'), '--root', root, ...args], { encoding: 'utf8', env: { ...process.env, ...env, ...extraEnv }, timeout: 120_000 }, (error, stdout, stderr) => {
      outputs.push(stdout, stderr);
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  hook = await startWebhookReceiver();
  smtp = await startSmtpReceiver({ user: 'alerts', password: PASSWORD });
  webhookUrl = `${hook.url}/services/T0SECRET/B0SECRET/${TOKEN}`;
  env = {
    WEB4_ALERTS__CHANNELS: '["log","slack","email"]',
    WEB4_SLACK_WEBHOOK_URL: webhookUrl,
    WEB4_ALERTS__EMAIL__HOST: '127.0.0.1',
    WEB4_ALERTS__EMAIL__PORT: String(smtp.port),
    WEB4_ALERTS__EMAIL__STARTTLS: 'off',
    WEB4_ALERTS__EMAIL__USER: 'alerts',
    WEB4_SMTP_PASSWORD: PASSWORD,
    WEB4_ALERTS__EMAIL__TO: '["team@example.com"]',
    WEB4_ALERTS__ATTEMPTS: '2',
    WEB4_ALERTS__RETRY_DELAY_MS: '50',
    WEB4_ALERTS__TIMEOUT_MS: '2000',
  };
});
afterAll(async () => {
  await hook?.close();
  await smtp?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('web4 alert send', () => {
  it('delivers to the log, Slack and email at once (exit 0)', async () => {
    const r = await web4(['alert', 'send', 'disk full on gpu-box', '--level', 'warn', '--json', '--verbose']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { delivered: boolean; channels: Array<{ channel: string; delivered: boolean }>; pending: number };
    expect(report).toMatchObject({ delivered: true, pending: 0 });
    expect(report.channels.map((c) => [c.channel, c.delivered])).toEqual([['log', true], ['slack', true], ['email', true]]);
    expect(JSON.parse(hook.bodies.at(-1)!.body)).toEqual({ text: '⚠️ Evening Loop Alert: disk full on gpu-box' });
    expect(smtp.mails).toHaveLength(1);
    expect(readFileSync(join(root, 'logs/alerts.log'), 'utf8')).toMatch(/"level":"warn","title":"⚠️ Evening Loop Alert: disk full on gpu-box"/);
  });

  it('a failing channel: exit 4, the others delivered, the alert kept and sent again once it works', async () => {
    hook.otherwise = 500;
    hook.errorBody = `bad request to ${webhookUrl}`; // a server that echoes the URL: the error must not show it
    const r = await web4(['alert', 'send', 'night stopped at train', '--verbose'], { WEB4_SMTP_PASSWORD: WRONG_PASSWORD });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/✓ log: delivered/);
    expect(r.stdout).toMatch(/⚠️ slack: not delivered: Slack webhook: HTTP 500 "bad request to \[redacted\]" \(2 attempts/);
    expect(r.stdout).toMatch(/⚠️ email: not delivered: SMTP 127\.0\.0\.1:\d+: login as alerts refused \(535\)/);
    expect(r.stdout).toMatch(/1 alert\(s\) wait in .*alerts_undelivered\.jsonl/);
    const kept = readFileSync(join(root, 'logs/alerts_undelivered.jsonl'), 'utf8');
    expect(kept).toContain('"channels":["slack","email"]');

    hook.otherwise = 200;
    const sentBefore = hook.bodies.length;
    const again = await web4(['alert', 'send', 'second alert', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ delivered: true, pending: 0, resent: { alerts: 1, delivered: 1 } });
    expect(hook.bodies.slice(sentBefore).map((b) => (JSON.parse(b.body) as { text: string }).text).sort()).toEqual([
      '⚠️ Evening Loop Alert: night stopped at train',
      '⚠️ Evening Loop Alert: second alert',
    ]);
    expect(smtp.mails).toHaveLength(3);
    expect(readdirSync(join(root, 'logs')).filter((n) => n.startsWith('alerts_undelivered'))).toEqual([]);
  });

  it('bad input: a webhook that is not a URL, a secret file open to others, a bad level: exit 2 with what to fix', async () => {
    const notUrl = await web4(['alert', 'send', 'x'], { WEB4_SLACK_WEBHOOK_URL: `not a url ${TOKEN}` });
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('alerts.slack: the webhook URL in $WEB4_SLACK_WEBHOOK_URL is not a URL');

    const file = join(root, 'webhook.secret');
    writeFileSync(file, webhookUrl + '\n');
    chmodSync(file, 0o644);
    const open = await web4(['alert', 'send', 'x', '--json'], { WEB4_ALERTS__SLACK__WEBHOOK_URL_FILE: file });
    expect(open.code).toBe(2);
    expect(JSON.parse(open.stdout)).toMatchObject({ error: 'bad_config', hint: `Run \`chmod 600 ${file}\` and try again.` });
    expect(open.stderr).toContain(`the secret file ${file} is open to group or others (mode 0644)`);
    chmodSync(file, 0o600);
    expect((await web4(['alert', 'send', 'from the file', '--json'], { WEB4_ALERTS__SLACK__WEBHOOK_URL_FILE: file, WEB4_SLACK_WEBHOOK_URL: '' })).code).toBe(0);

    const level = await web4(['alert', 'send', 'x', '--level', 'panic']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/Invalid values:[\s\S]*level/);
  });

  it('no secret appears in any output or any file the runs wrote', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (name !== 'webhook.secret') files.push(p);
      }
    };
    walk(root);
    expect(files.some((f) => f.endsWith('alerts.log'))).toBe(true);
    const texts = [...outputs, ...files.map((f) => readFileSync(f, 'utf8'))];
    expect(texts.join('').length).toBeGreaterThan(1000);
    for (const secret of [webhookUrl, TOKEN, 'T0SECRET/B0SECRET', PASSWORD, WRONG_PASSWORD]) {
      expect(texts.filter((t) => t.includes(secret)), secret).toEqual([]);
    }
  });
});
