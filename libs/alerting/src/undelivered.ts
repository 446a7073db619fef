import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive, redactText } from '@web4/core';
import type { Alert } from './alert.js';

export const UNDELIVERED_FILE = 'alerts_undelivered.jsonl';
/** The most alerts kept waiting; older ones are dropped (and counted) when more arrive. */
export const MAX_PENDING = 1000;

/** One alert some channels did not take, kept for the next send. */
export interface PendingAlert {
  alert: Alert & { at: string };
  /** The channels still to deliver it to. */
  channels: string[];
  /** The last error per channel (secrets redacted). */
  errors: Record<string, string>;
  /** Sends that tried it so far. */
  tries: number;
}

/**
 * `logs/alerts_undelivered.jsonl`: alerts waiting for a channel. Appends are single `write`s of
 * one line (O_APPEND), so several processes may add at once. A send takes the whole file by
 * renaming it (atomic): nothing appended meanwhile is lost, and nothing is sent twice by two
 * processes. A claim left by a process that died is taken over by the next send.
 */
export class UndeliveredQueue {
  readonly file: string;

  constructor(logsDir: string) {
    this.file = join(logsDir, UNDELIVERED_FILE);
  }

  /** Take every waiting alert; call `release` with what is still undelivered after trying them. */
  claim(): { pending: PendingAlert[]; release(stillPending: PendingAlert[]): void } {
    const dir = dirname(this.file);
    const claims: string[] = [];
    if (existsSync(dir)) {
      for (const name of readdirSync(dir)) {
        const m = new RegExp(`^${basename(this.file).replace(/\./g, '\\.')}\\.claim-(\\d+)-\\d+$`).exec(name);
        if (m && !pidAlive(Number(m[1]))) claims.push(join(dir, name)); // left by a process that died
      }
    }
    const mine = `${this.file}.claim-${process.pid}-${Date.now()}${Math.floor(Math.random() * 1000)}`;
    try {
      renameSync(this.file, mine);
      claims.push(mine);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const pending = claims.flatMap((file) => parseLines(readFileSync(file, 'utf8')));
    return {
      pending,
      release: (stillPending) => {
        this.append(stillPending);
        for (const file of claims) rmSync(file, { force: true });
      },
    };
  }

  append(entries: PendingAlert[]): void {
    if (entries.length === 0) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, entries.map((e) => redactText(JSON.stringify(e)) + '\n').join(''));
  }

  /** Alerts waiting now (read-only). */
  count(): number {
    return existsSync(this.file) ? parseLines(readFileSync(this.file, 'utf8')).length : 0;
  }
}

function parseLines(text: string): PendingAlert[] {
  const out: PendingAlert[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as PendingAlert;
      if (e && typeof e === 'object' && e.alert && Array.isArray(e.channels)) out.push(e);
    } catch {
      // a line cut by a crash mid-write: nothing to resend from it
    }
  }
  return out;
}
