import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/**
 * Real receivers for the alerting tests: an HTTP server that records webhook bodies and answers
 * as told, and an SMTP server (the `smtp-server` package) that keeps the mail it receives.
 */
export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:PORT; any path is accepted. */
  url: string;
  /** Every request body received, in order (also the ones it never answered). */
  bodies: Array<{ path: string; body: string }>;
  /**
   * What the next requests get: a status, or 'hang' (read the body, never answer). Taken one per
   * request; when empty, `otherwise` applies.
   */
  script: Array<number | 'hang'>;
  otherwise: number | 'hang';
  /** Sent back as the body of an error answer (to test that errors never show the secret). */
  errorBody: string;
  close(): Promise<void>;
}

export async function startWebhookReceiver(o: { script?: Array<number | 'hang'>; otherwise?: number | 'hang' } = {}): Promise<WebhookReceiver> {
  const hanging = new Set<ServerResponse>();
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = { bodies: [], script: [...(o.script ?? [])], otherwise: o.otherwise ?? 200, errorBody: 'server_error' };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      receiver.bodies.push({ path: req.url ?? '', body });
      const what = receiver.script.length ? receiver.script.shift()! : receiver.otherwise;
      if (what === 'hang') {
        hanging.add(res);
        return;
      }
      res.writeHead(what, { 'content-type': 'text/plain' }).end(what < 300 ? 'ok' : receiver.errorBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

export interface ReceivedMail {
  from: string;
  to: string[];
  user: string | undefined;
  secure: boolean;
  raw: string;
}

/** A header of a received mail, RFC 2047 encoded words (=?UTF-8?Q?…?=) decoded. */
export function mailHeader(raw: string, name: string): string | undefined {
  const m = new RegExp(`^${name}: (.*(?:\\r?\\n[ \\t].*)*)`, 'mi').exec(raw);
  if (!m) return undefined;
  return m[1]!
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_, q: string) => Buffer.from(q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (__, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'))
    .replace(/\r?\n[ \t]/g, ' ');
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** A real SMTP server on 127.0.0.1 that requires `user`/`password` when given, with STARTTLS when `tls` is given. */
export async function startSmtpReceiver(o: { user?: string; password?: string; tls?: { key: string; cert: string } } = {}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const options: SMTPServerOptions = {
    logger: false,
    authOptional: !o.user,
    allowInsecureAuth: !o.tls,
    disabledCommands: o.tls ? [] : ['STARTTLS'],
    ...(o.tls ? { key: o.tls.key, cert: o.tls.cert } : {}),
    onAuth(auth, _session, callback) {
      if (auth.username === o.user && auth.password === o.password) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (d: Buffer) => (raw += d.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          user: typeof session.user === 'string' ? session.user : undefined,
          secure: session.secure,
          raw,
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * A self-signed certificate for localhost / 127.0.0.1, made with the `openssl` command (node has
 * no API to create one). Undefined when openssl is missing.
 */
export function selfSignedCert(): { key: string; cert: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'web4-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
