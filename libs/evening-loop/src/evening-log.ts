import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, createLogger, fileStamp, type Logger, redactText, silentLogger } from '@web4/core';

export interface EveningLogOptions {
  logsDir: string;
  clock: Clock;
  /** Where people read it: stdout, or stderr when stdout carries --json. `null`: nowhere. */
  console?: NodeJS.WritableStream | null;
  level?: string;
  /** Write no files (dry runs). */
  noFiles?: boolean;
  /** Log file name prefix; default `evening_loop`. */
  prefix?: string;
}

/**
 * The plan's log: `logs/evening_loop_YYYYMMDD_HHMMSS.log`, one `[YYYY-MM-DD HH:MM:SS] message`
 * line per event, on the console and in the file, written synchronously so that the file holds
 * every line up to a crash; and the same events as pino JSON lines beside it
 * (`evening_loop_YYYYMMDD_HHMMSS.jsonl`) with their fields.
 */
export class EveningLog {
  readonly file: string | undefined;
  readonly jsonFile: string | undefined;
  readonly logger: Logger;
  private readonly out: NodeJS.WritableStream | null;

  constructor(private readonly o: EveningLogOptions) {
    this.out = o.console === undefined ? process.stdout : o.console;
    if (o.noFiles) {
      this.logger = silentLogger();
      return;
    }
    mkdirSync(o.logsDir, { recursive: true });
    const stamp = fileStamp(o.clock.now());
    const prefix = o.prefix ?? 'evening_loop';
    this.file = join(o.logsDir, `${prefix}_${stamp}.log`);
    this.jsonFile = join(o.logsDir, `${prefix}_${stamp}.jsonl`);
    this.logger = createLogger({ file: this.jsonFile, sync: true, level: o.level ?? 'info', name: prefix });
  }

  /** `[2026-11-25 22:00:03] message` */
  stamp(): string {
    const iso = this.o.clock.now().toISOString();
    return `[${iso.slice(0, 10)} ${iso.slice(11, 19)}]`;
  }

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.write(message);
    this.logger.info(fields, redactText(message));
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.write(`⚠️  ${message}`);
    this.logger.warn(fields, redactText(message));
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.write(`❌ ${message}`);
    this.logger.error(fields, redactText(message));
  }

  /** Lines that belong together (the closing block), each stamped. */
  block(lines: string[], fields: Record<string, unknown> = {}): void {
    for (const line of lines) this.write(line);
    this.logger.info(fields, redactText(lines.join('\n')));
  }

  private write(message: string): void {
    const text = redactText(message);
    const lines = text.split('\n').map((l) => `${this.stamp()} ${l}`).join('\n') + '\n';
    this.out?.write(lines);
    if (this.file) appendFileSync(this.file, lines);
  }
}
