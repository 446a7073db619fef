import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { type Clock, InputError, pidAlive } from '@web4/core';
import type { Selectable } from 'kysely';
import type { MetricsDatabase, RunLocksTable } from './schema/metrics-database.js';
import type { SqliteFile } from './sqlite-file.js';
import { toStorageError } from './storage-error.js';

export interface LockHolder {
  name: string;
  pid: number;
  pidStart: string | null;
  host: string;
  owner: string;
  acquiredAt: string;
}

export type LockOutcome =
  | { acquired: true; holder: LockHolder; takenOverFrom?: LockHolder }
  | { acquired: false; holder: LockHolder };

/**
 * Named locks in the metrics database (the nightly loop's, which `web4 model promote|rollback`
 * take too). Taking a lock is one IMMEDIATE transaction, so two processes starting at the same
 * instant cannot both win. A holder that is dead — its pid gone, or the pid now belongs to a
 * process that started at another time — does not keep the lock: the next taker takes it over.
 */
export class RunLocks {
  constructor(
    private readonly file: SqliteFile<MetricsDatabase>,
    private readonly clock: Clock,
  ) {}

  acquire(name: string, owner: string, pid: number = process.pid): LockOutcome {
    if (!name.trim() || !owner.trim()) throw new InputError('A lock needs a name and an owner.');
    const me: LockHolder = { name, pid, pidStart: processStartTime(pid), host: hostname(), owner, acquiredAt: this.clock.now().toISOString() };
    try {
      return this.file.writeTransaction((): LockOutcome => {
        const row = this.file.allNow(this.file.db.selectFrom('run_locks').selectAll().where('name', '=', name))[0];
        const current = row ? toHolder(row) : undefined;
        if (current && current.pid === pid && current.host === me.host) return { acquired: true, holder: current };
        if (current && holderAlive(current)) return { acquired: false, holder: current };
        const values = { name, pid, pid_start: me.pidStart, host: me.host, owner, acquired_at: me.acquiredAt };
        this.file.runNow(this.file.db.insertInto('run_locks').values(values).onConflict((oc) => oc.column('name').doUpdateSet(values)));
        return current ? { acquired: true, holder: me, takenOverFrom: current } : { acquired: true, holder: me };
      });
    } catch (error) {
      throw toStorageError(error, this.file.path, `take the lock ${name}`);
    }
  }

  /** Release a lock this process holds; a lock held by another process is left alone. */
  release(name: string, pid: number = process.pid): boolean {
    try {
      const r = this.file.runNow(this.file.db.deleteFrom('run_locks').where('name', '=', name).where('pid', '=', pid).where('host', '=', hostname()));
      return r.changes > 0;
    } catch (error) {
      throw toStorageError(error, this.file.path, `release the lock ${name}`);
    }
  }

  holder(name: string): LockHolder | undefined {
    try {
      const row = this.file.allNow(this.file.db.selectFrom('run_locks').selectAll().where('name', '=', name))[0];
      return row ? toHolder(row) : undefined;
    } catch (error) {
      throw toStorageError(error, this.file.path, `read the lock ${name}`);
    }
  }
}

function toHolder(r: Selectable<RunLocksTable>): LockHolder {
  return { name: r.name, pid: r.pid, pidStart: r.pid_start, host: r.host, owner: r.owner, acquiredAt: r.acquired_at };
}

/** Is the recorded holder still the same living process? (A lock from another host is assumed alive.) */
export function holderAlive(h: LockHolder): boolean {
  if (h.host !== hostname()) return true;
  if (!pidAlive(h.pid)) return false;
  const start = processStartTime(h.pid);
  return h.pidStart === null || start === null || start === h.pidStart;
}

export { pidAlive };

/** The start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); null off Linux. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
