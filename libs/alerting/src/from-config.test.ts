import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, resolvePaths } from '@web4/core';
import { afterAll, describe, expect, it } from 'vitest';
import { alerterFromConfig } from './from-config.js';

const root = mkdtempSync(join(tmpdir(), 'web4-alert-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Load the config as a command does (file-less, from WEB4_* variables) and build the Alerter. */
function build(env: Record<string, string>) {
  const { config } = loadConfig({ root, env });
  return alerterFromConfig(config, resolvePaths(config), { env });
}
function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('alerts configuration: bad input is refused before anything is sent', () => {
  it('the default is the log channel alone', () => {
    expect(build({}).channels).toEqual(['log']);
  });

  it('a webhook URL that is not a URL: names the setting and the variable, never the value', () => {
    const e = errorOf(() => build({ WEB4_ALERTS__CHANNELS: '["log","slack"]', WEB4_SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/not-a-url-s3cr3t' }));
    expect(e.message).toBe('alerts.slack: the webhook URL in $WEB4_SLACK_WEBHOOK_URL is not a URL (expected https://hooks.slack.com/services/…).');
    expect(JSON.stringify(e.toJSON()) + e.toUserString()).not.toContain('s3cr3t');
    expect(e.exitCode).toBe(2);
  });

  it('slack on without a webhook URL says which variable or file to set', () => {
    const e = errorOf(() => build({ WEB4_ALERTS__CHANNELS: '["slack"]' }));
    expect(e.message).toMatch(/no webhook URL is set: \$WEB4_SLACK_WEBHOOK_URL is empty and alerts.slack.webhookUrlFile is unset/);
  });

  it('a secret file readable by group or others is refused, naming the file and the chmod to run', () => {
    const file = join(root, 'slack-webhook');
    writeFileSync(file, 'https://hooks.slack.com/services/T0/B0/file-secret\n');
    chmodSync(file, 0o644);
    const e = errorOf(() => build({ WEB4_ALERTS__CHANNELS: '["slack"]', WEB4_ALERTS__SLACK__WEBHOOK_URL_FILE: file }));
    expect(e.message).toBe(`alerts.slack: the secret file ${file} is open to group or others (mode 0644); a secret must be readable by its owner alone.`);
    expect(e.hint).toBe(`Run \`chmod 600 ${file}\` and try again.`);
    chmodSync(file, 0o600);
    expect(build({ WEB4_ALERTS__CHANNELS: '["slack"]', WEB4_ALERTS__SLACK__WEBHOOK_URL_FILE: file }).channels).toEqual(['slack']);
  });

  it('the SMTP password file follows the same rule', () => {
    const file = join(root, 'smtp-password');
    writeFileSync(file, 'pw\n');
    chmodSync(file, 0o640);
    const e = errorOf(() => build({ WEB4_ALERTS__CHANNELS: '["email"]', WEB4_ALERTS__EMAIL__TO: '["team@example.com"]', WEB4_ALERTS__EMAIL__USER: 'bot', WEB4_ALERTS__EMAIL__PASSWORD_FILE: file }));
    expect(e.message).toMatch(/^alerts.email: the secret file .*smtp-password is open to group or others \(mode 0640\)/);
  });

  it('a user without a password, email without recipients, a host with a scheme: each names its setting', () => {
    expect(errorOf(() => build({ WEB4_ALERTS__CHANNELS: '["email"]', WEB4_ALERTS__EMAIL__TO: '["t@example.com"]', WEB4_ALERTS__EMAIL__USER: 'bot' })).message).toMatch(
      /alerts.email.user is set but no SMTP password: \$WEB4_SMTP_PASSWORD is empty/,
    );
    expect(errorOf(() => loadConfig({ root, env: { WEB4_ALERTS__CHANNELS: '["email"]' } })).message).toMatch(/alerts.email.to: the email channel is on: name at least one recipient/);
    expect(errorOf(() => loadConfig({ root, env: { WEB4_ALERTS__EMAIL__HOST: 'smtp://mail.example.com' } })).message).toMatch(/alerts.email.host: must be a host name or address, without scheme or port/);
    expect(errorOf(() => loadConfig({ root, env: { WEB4_ALERTS__CHANNELS: '["pager"]' } })).message).toMatch(/alerts.channels.0: /);
  });
});
