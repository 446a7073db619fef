import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values never reach a log: webhook URLs, SMTP passwords, tokens. Paths are pino
 * redact paths (one level of nesting is covered by the `*.` forms). A bare `pass` is not one of
 * them: it is a verdict (`pass: true`) in the reports; nodemailer's password is `auth.pass`.
 */
export const REDACTED_KEYS = [
  'password',
  'auth.pass',
  'token',
  'secret',
  'apiKey',
  'authorization',
  'webhookUrl',
  'smtpPassword',
];
const redactPaths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]);
/** Every line a logger writes passes here last: secret values registered at run time never reach a file. */
const hooks = { streamWrite: (line: string) => (knownSecrets.size ? redactText(line) : line) };

export interface LoggerSetup {
  level?: string;
  /** Append JSON lines to this file (created with its directory). */
  file?: string;
  /** Also print to stderr (see `consoleLevel`, `consoleFormat`). Default true. */
  console?: boolean;
  /**
   * The lowest level printed on stderr; default `level`. The CLI keeps it at `warn` unless `-v`,
   * so that a terminal shows people the report, and the routine lines go to the file only.
   */
  consoleLevel?: string;
  /**
   * How stderr shows log lines: `pretty` (one readable line per event, for people), `json` (one
   * JSON object per line, for scripts and `--json`), or `auto` (default): pretty when stderr is a
   * terminal, JSON otherwise.
   */
  consoleFormat?: 'auto' | 'pretty' | 'json';
  name?: string;
  /**
   * Write the file synchronously on the caller's thread instead of through a worker: for jobs
   * whose log must hold every line up to a crash (the nightly loop). Console output is off.
   */
  sync?: boolean;
}

/**
 * The one logger. JSON lines to a file; on stderr, readable lines on a terminal and JSON lines
 * otherwise. Writes go through pino's transports (a worker thread), so a log call costs the
 * caller little.
 */
export function createLogger(setup: LoggerSetup = {}): Logger {
  const level = setup.level ?? process.env.WEB4_LOGGING__LEVEL ?? 'info';
  if (setup.sync && setup.file) {
    mkdirSync(dirname(setup.file), { recursive: true });
    return pino(
      { level, hooks, redact: { paths: redactPaths, censor: '[redacted]' }, ...(setup.name ? { name: setup.name } : {}) },
      pino.destination({ dest: setup.file, sync: true, mkdir: true }),
    );
  }
  const targets: pino.TransportTargetOptions[] = [];
  if (setup.file) {
    mkdirSync(dirname(setup.file), { recursive: true });
    targets.push({ target: 'pino/file', level, options: { destination: setup.file, mkdir: true } });
  }
  const consoleLevel = setup.consoleLevel ?? level;
  if (setup.console ?? true) {
    const format = setup.consoleFormat ?? 'auto';
    if (format === 'pretty' || (format === 'auto' && process.stderr.isTTY)) {
      const pretty = { destination: 2, colorize: Boolean(process.stderr.isTTY), singleLine: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' };
      targets.push({ target: 'pino-pretty', level: consoleLevel, options: pretty });
    } else {
      targets.push({ target: 'pino/file', level: consoleLevel, options: { destination: 2 } });
    }
  }
  // The logger passes on what its most talkative target wants; each target filters its own.
  const lowest = targets.map((t) => t.level ?? level).reduce((low, l) => (levelValue(l) < levelValue(low) ? l : low), 'silent');
  const options: LoggerOptions = {
    level: lowest,
    hooks,
    redact: { paths: redactPaths, censor: '[redacted]' },
    ...(setup.name ? { name: setup.name } : {}),
  };
  if (targets.length === 0) return pino({ ...options, level: 'silent' });
  return pino(options, pino.transport({ targets }));
}

function levelValue(level: string): number {
  return level === 'silent' ? Infinity : (pino.levels.values[level] ?? pino.levels.values.info!);
}

/** A logger that writes nothing, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Secret values this process has read (a webhook URL, an SMTP password): `redactText` and every
 * logger replace them wherever they occur, whatever key or message carries them.
 */
const knownSecrets = new Set<string>();

/** Declare a secret value read at run time, so that no log line, error or output shows it. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

/** Replace secrets in free text (URLs with tokens, passwords in connection strings). */
export function redactText(text: string, secrets: Array<string | undefined> = []): string {
  let out = text;
  // Longest first, so a secret that contains another is replaced whole.
  const all = [...new Set([...secrets, ...knownSecrets])].filter((s): s is string => !!s && s.length >= 4).sort((a, b) => b.length - a.length);
  for (const s of all) {
    out = out.split(s).join('[redacted]');
    const json = JSON.stringify(s).slice(1, -1); // as it appears inside a JSON string
    if (json !== s) out = out.split(json).join('[redacted]');
  }
  return out
    .replace(/(https:\/\/hooks\.slack\.com\/services\/)[^\s"']+/g, '$1[redacted]')
    .replace(/(\/\/[^:/\s]+:)[^@/\s]+@/g, '$1[redacted]@');
}
