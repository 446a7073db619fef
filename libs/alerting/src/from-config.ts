import { readFileSync } from 'node:fs';
import { type Clock, ConfigError, type Logger, type StatePaths, type Web4Config, resolveStatePath } from '@web4/core';
import type { AlertChannel, Alerter } from './alert.js';
import { createAlerter } from './alerter.js';
import { emailChannel } from './channels/email.js';
import { logChannel } from './channels/log.js';
import { slackChannel } from './channels/slack.js';
import { readSecret } from './secrets.js';

export interface AlerterFromConfigOptions {
  /** Where secrets named by the config are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  logger?: Logger;
}

/**
 * The Alerter the config describes (`alerts.*`). Every problem a person must fix before an
 * alert can go out (a missing or malformed webhook URL, a secret file open to others, a CA file
 * that is not there) is a ConfigError here, before anything is sent; a server that does not
 * answer or a host that does not resolve is a delivery failure of that channel only.
 */
export function alerterFromConfig(config: Web4Config, paths: Pick<StatePaths, 'logsDir'>, o: AlerterFromConfigOptions = {}): Alerter {
  const a = config.alerts;
  const env = o.env ?? process.env;
  const channels: AlertChannel[] = [];
  for (const name of new Set(a.channels)) {
    if (name === 'log') channels.push(logChannel(paths.logsDir));
    if (name === 'slack') channels.push(slackChannel(slackWebhookUrl(config, env)));
    if (name === 'email') channels.push(emailChannelFromConfig(config, env));
  }
  return createAlerter({
    channels,
    logsDir: paths.logsDir,
    timeoutMs: a.timeoutMs,
    attempts: a.attempts,
    retryDelayMs: a.retryDelayMs,
    deadlineMs: a.deadlineMs,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  });
}

function slackWebhookUrl(config: Web4Config, env: NodeJS.ProcessEnv): string {
  const s = config.alerts.slack;
  const file = s.webhookUrlFile ? resolveStatePath(config, s.webhookUrlFile) : undefined;
  const secret = readSecret({ field: 'alerts.slack', envName: s.webhookUrlEnv, env, ...(file ? { file } : {}) });
  if (!secret) {
    throw new ConfigError(`alerts.channels has "slack" but no webhook URL is set: $${s.webhookUrlEnv} is empty and alerts.slack.webhookUrlFile is unset.`, {
      hint: `export ${s.webhookUrlEnv}=<the incoming-webhook URL from Slack>, or put it in a file (chmod 600) named by alerts.slack.webhookUrlFile.`,
    });
  }
  let url: URL | undefined;
  try {
    url = new URL(secret.value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || !url.hostname) {
    // The value itself is a secret and is not shown, even when malformed.
    throw new ConfigError(`alerts.slack: the webhook URL in ${secret.source} is not a URL (expected https://hooks.slack.com/services/…).`, {
      hint: `Copy the incoming-webhook URL from Slack into ${secret.source} again.`,
    });
  }
  return url.href;
}

function emailChannelFromConfig(config: Web4Config, env: NodeJS.ProcessEnv): AlertChannel {
  const e = config.alerts.email;
  const file = e.passwordFile ? resolveStatePath(config, e.passwordFile) : undefined;
  const password = readSecret({ field: 'alerts.email', envName: e.passwordEnv, env, ...(file ? { file } : {}) });
  if (e.user && !password) {
    throw new ConfigError(`alerts.email.user is set but no SMTP password: $${e.passwordEnv} is empty and alerts.email.passwordFile is unset.`, {
      hint: `export ${e.passwordEnv}=…, or name a file (chmod 600) in alerts.email.passwordFile; unset alerts.email.user for a server without login.`,
    });
  }
  let ca: string | undefined;
  if (e.caFile) {
    const caPath = resolveStatePath(config, e.caFile);
    try {
      ca = readFileSync(caPath, 'utf8');
    } catch (cause) {
      throw new ConfigError(`alerts.email.caFile: ${caPath} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`, { hint: 'Name a PEM file of the CA that signed the SMTP server certificate.' });
    }
  }
  return emailChannel({
    host: e.host,
    port: e.port,
    secure: e.secure,
    starttls: e.starttls,
    ...(ca ? { ca } : {}),
    ...(e.user ? { user: e.user } : {}),
    ...(password ? { password: password.value } : {}),
    from: e.from,
    to: e.to,
    timeoutMs: config.alerts.timeoutMs,
  });
}
