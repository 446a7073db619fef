import { existsSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { pidAlive } from '@web4/core';
import { writeFileAtomic } from './atomic-file.js';

/** What we write when we start a service, so later commands can find, check and stop it. */
export interface ServiceRecord {
  name: string;
  pid: number;
  host: string;
  port: number;
  url: string;
  /** Program started, to tell our process from another that later got the same pid. */
  program: string;
  args: string[];
  logFile: string;
  /** Chroma data dir or OLLAMA_MODELS. */
  dataDir: string;
  startedAt: string;
}

export function readServiceRecord(file: string): ServiceRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as ServiceRecord;
    return Number.isInteger(record.pid) && record.pid > 0 ? record : undefined;
  } catch {
    return undefined; // unreadable: treated like a stale record and replaced
  }
}

export function writeServiceRecord(file: string, record: ServiceRecord): void {
  writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n');
}

export function clearServiceRecord(file: string): void {
  rmSync(file, { force: true });
}

/**
 * True when `pid` is alive and still runs `program` (Linux: /proc/<pid>/cmdline), so a pid
 * reused by an unrelated process after ours died is not mistaken for our service.
 */
export function isProcessRunning(pid: number, program?: string): boolean {
  if (!pidAlive(pid)) return false;
  if (!program) return true;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return true; // not Linux: trust kill(0)
  try {
    const text = readFileSync(cmdline, 'utf8');
    if (text === '') return false; // a zombie
    return text.split('\0').some((part) => part === program || part.endsWith('/' + program.split('/').pop()));
  } catch {
    return false;
  }
}

/**
 * The program file `pid` runs was deleted or replaced since it started (Linux: its
 * /proc/<pid>/exe link ends in " (deleted)"), as when the bootstrap rebuilds the Ollama binary
 * under a running server: such a server can no longer start its model runners (it execs its own
 * path). False where /proc cannot tell.
 */
export function programReplaced(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/exe`).endsWith(' (deleted)');
  } catch {
    return false;
  }
}
