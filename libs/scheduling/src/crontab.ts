import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { InputError, ServiceError } from '@web4/core';
import { renderCrontabBlock, withBlock, withoutBlock } from './crontab-block.js';
import type { SchedulePlan } from './schedule-plan.js';

export interface CrontabOptions {
  /** The crontab program (default `crontab` on PATH). */
  command?: string;
  /** Another user's crontab (`crontab -u USER`, root only); default: the current user's. */
  user?: string;
}

export interface InstallResult {
  /** Lines of ours now in the crontab (the block, markers included). */
  block: string[];
  /** True when an earlier block of this state root was replaced (install is idempotent). */
  replaced: boolean;
  /** Lines of the crontab that are not ours, all kept. */
  otherLines: number;
  crontab: string;
}

/** The real `crontab` command: read and write one user's table, our block only. */
export class Crontab {
  private readonly command: string;
  private readonly userArgs: string[];

  constructor(options: CrontabOptions = {}) {
    this.command = options.command ?? 'crontab';
    this.userArgs = options.user ? ['-u', options.user] : [];
  }

  /** The table as `crontab -l` prints it; empty when the user has none. */
  read(): string {
    const r = spawnSync(this.command, [...this.userArgs, '-l'], { encoding: 'utf8' });
    if (r.error) throw this.missing(r.error);
    if (r.status === 0) return r.stdout;
    if (/no crontab for/i.test(r.stderr)) return '';
    throw new ServiceError(`\`${this.describe()} -l\` failed (exit ${r.status}): ${r.stderr.trim()}`, { hint: 'Check that you may use cron (/etc/cron.allow, /etc/cron.deny).' });
  }

  write(text: string): void {
    const r = spawnSync(this.command, [...this.userArgs, '-'], { input: text, encoding: 'utf8' });
    if (r.error) throw this.missing(r.error);
    if (r.status !== 0) {
      throw new InputError(`\`${this.describe()}\` refused the new table: ${r.stderr.trim() || `exit ${r.status}`}`, {
        hint: 'A cron expression crontab does not accept (croner takes more forms than cron: L, W, #, ?): write plain "minute hour day-of-month month day-of-week" in schedule.*.',
      });
    }
  }

  /** Put the plan's block in (replacing this root's earlier block in place); create the logs folder. */
  install(plan: SchedulePlan): InstallResult {
    const block = renderCrontabBlock(plan);
    const current = this.read();
    const { text, replaced } = withBlock(current, block, plan.stateRoot);
    this.write(text);
    mkdirSync(plan.logsDir, { recursive: true });
    const otherLines = text.split('\n').filter(Boolean).length - block.length;
    return { block, replaced, otherLines, crontab: text };
  }

  /** Remove this root's block; every other line stays. */
  uninstall(stateRoot: string): { removed: boolean; crontab: string } {
    const current = this.read();
    const { text, removed } = withoutBlock(current, stateRoot);
    if (removed) this.write(text);
    return { removed, crontab: text };
  }

  private describe(): string {
    return [this.command, ...this.userArgs].join(' ');
  }

  private missing(error: Error): ServiceError {
    return new ServiceError(`The \`${this.command}\` command cannot be run: ${error.message}`, {
      hint: 'Install cron (Debian: `apt-get install cron`; `node tools/bootstrap.mjs` does it where apt is available), or run the jobs with `web4 schedule run` instead.',
    });
  }
}
