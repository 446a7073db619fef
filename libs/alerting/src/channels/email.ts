import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { Alert, AlertChannel } from '../alert.js';
import { PermanentDeliveryError } from '../alert.js';
import { abortReason } from './slack.js';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465). */
  secure: boolean;
  starttls: 'auto' | 'required' | 'off';
  /** Extra CA certificates to trust (PEM). */
  ca?: string;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** Connection, greeting and socket timeouts of one attempt. */
  timeoutMs: number;
}

export function emailSubject(alert: Alert): string {
  return `[web4 ${alert.level}] ${alert.title}`;
}

export function emailBody(alert: Alert & { at: string }): string {
  const lines = [alert.message, '', `level: ${alert.level}`, `at: ${alert.at}`];
  if (alert.runId) lines.push(`run: ${alert.runId}`);
  if (alert.details && Object.keys(alert.details).length > 0) lines.push('', JSON.stringify(alert.details, null, 2));
  return lines.join('\n') + '\n';
}

/** Email over SMTP (nodemailer): STARTTLS when offered (or required), login when a user is set. */
export function emailChannel(smtp: SmtpSettings): AlertChannel {
  return {
    name: 'email',
    async deliver(alert, signal) {
      await resolvable(smtp.host);
      const transport = nodemailer.createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.starttls === 'required',
        ignoreTLS: smtp.starttls === 'off',
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
        ...(smtp.ca ? { tls: { ca: smtp.ca } } : {}),
        connectionTimeout: smtp.timeoutMs,
        greetingTimeout: smtp.timeoutMs,
        socketTimeout: smtp.timeoutMs,
        dnsTimeout: smtp.timeoutMs,
      });
      const aborted = new Promise<never>((_, reject) => {
        const stop = () => reject(new Error(`SMTP ${smtp.host}:${smtp.port}: ${abortReason(signal)}`));
        if (signal.aborted) stop();
        signal.addEventListener('abort', stop, { once: true });
      });
      try {
        await Promise.race([
          transport.sendMail({ from: smtp.from, to: smtp.to, subject: emailSubject(alert), text: emailBody(alert) }),
          aborted,
        ]);
      } catch (error) {
        throw describe(error, smtp);
      } finally {
        transport.close();
      }
    },
  };
}

/** A host that does not resolve is a configuration error, named as such (and not retried). */
async function resolvable(host: string): Promise<void> {
  if (isIP(host)) return;
  try {
    await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ENOTFOUND') {
      throw new PermanentDeliveryError(`SMTP host "${host}" does not resolve (ENOTFOUND): fix alerts.email.host`);
    }
    throw new Error(`SMTP host "${host}": DNS lookup failed (${code})`);
  }
}

function describe(error: unknown, smtp: SmtpSettings): Error {
  const e = error as { code?: string; responseCode?: number; message?: string };
  const where = `SMTP ${smtp.host}:${smtp.port}`;
  if (e.code === 'EAUTH') return new PermanentDeliveryError(`${where}: login as ${smtp.user ?? '(none)'} refused (${e.responseCode ?? 'EAUTH'}): check alerts.email.user and the password`);
  if (e.code === 'ETLS' || /STARTTLS|certificate|CERT_|SSL routines/i.test(e.message ?? '')) {
    return new PermanentDeliveryError(`${where}: TLS failed: ${e.message} (a server with its own certificate needs alerts.email.caFile)`);
  }
  if (e.code === 'EENVELOPE') return new PermanentDeliveryError(`${where}: recipients refused: ${e.message} (check alerts.email.to / from)`);
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return new PermanentDeliveryError(`${where}: ${e.message}`);
  return new Error(`${where}: ${e.message ?? String(error)}${e.code ? ` (${e.code})` : ''}`);
}
