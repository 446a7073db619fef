import { createReadStream, createWriteStream, existsSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { fileStamp } from '@web4/core';
import { openFilesUnder } from './open-files.js';

export interface LogRotationPolicy {
  /** Logs last written more than this many days ago are gzipped (`<file>.gz`). */
  compressAfterDays: number;
  /** `.log.gz` files last written more than this many days ago are deleted; 0 keeps them. */
  deleteAfterDays: number;
}

export interface LogRotationReport {
  logsDir: string;
  /** Appended logs renamed to `<name>_YYYYMMDD_HHMMSS.log` (from → to). */
  rotated: Array<{ from: string; to: string }>;
  compressed: string[];
  deleted: string[];
  /** Files left alone because a process has them open (a run in progress). */
  inUse: string[];
  /** How in-use files were told: open handles (/proc) and a recent write, or (without /proc) a recent write alone. */
  inUseCheck: 'open-handles' | 'recent-write';
}

/** `evening_loop_20261130_220000.log`, `x_20261130.log`: a log of one run, named by its time. */
const STAMPED = /_\d{8}(_\d{6})?\.log$/;
const DAY_MS = 86_400_000;
/** `evening_loop_20261130_220000.log.gz` → `evening_loop_20261130_220000`. */
const stem = (name: string) => name.replace(/\.(log|jsonl|json)(\.gz)?$/, '');
/** A file written in the last minutes counts as in use (a writer that opens and closes per line). */
const RECENT_WRITE_MS = 10 * 60_000;

/**
 * Rotation of the top-level `*.log` files of the logs folder (databases, `.jsonl` and archives
 * are not logs and are never touched):
 * 1. an appended log (`daily_indexing.log`, `cron_<job>.log` …) with content is renamed to
 *    `<name>_<stamp>.log`; its next writer starts a new file;
 * 2. a `.log` last written more than `compressAfterDays` ago is gzipped (mtime kept on the `.gz`);
 * 3. a `.log.gz` last written more than `deleteAfterDays` ago is deleted (0: never).
 * A run in progress is never touched: a file that a process has open, or whose sibling of the
 * same stem is open (the night's `.jsonl` for its `.log`), or that was written in the last 10
 * minutes (cron's `>>` holds a job's log open; some writers open and close per line).
 */
export async function rotateLogs(logsDir: string, policy: LogRotationPolicy, now: Date = new Date()): Promise<LogRotationReport> {
  const report: LogRotationReport = { logsDir, rotated: [], compressed: [], deleted: [], inUse: [], inUseCheck: 'open-handles' };
  if (!existsSync(logsDir)) return report;
  const realDir = realpathSync(logsDir);
  const open = openFilesUnder(realDir);
  if (!open) report.inUseCheck = 'recent-write';
  // A run's files share a stem: the night's `evening_loop_<stamp>.log` is appended line by line,
  // while its `evening_loop_<stamp>.jsonl` stays open (a synchronous logger) for the whole night.
  const openStems = new Set([...(open ?? [])].map((path) => stem(basename(path))));
  const inUse = (name: string): boolean => {
    const busy = (open !== undefined && (open.has(join(realDir, name)) || openStems.has(stem(name)))) || now.getTime() - statSync(join(logsDir, name)).mtimeMs < RECENT_WRITE_MS;
    if (busy && !report.inUse.includes(name)) report.inUse.push(name);
    return busy;
  };
  const files = () =>
    readdirSync(logsDir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name);

  const stamp = fileStamp(now);
  for (const name of files()) {
    if (!name.endsWith('.log') || STAMPED.test(name)) continue;
    const path = join(logsDir, name);
    if (statSync(path).size === 0 || inUse(name)) continue;
    let to = `${name.slice(0, -4)}_${stamp}.log`;
    for (let n = 2; existsSync(join(logsDir, to)) || existsSync(join(logsDir, `${to}.gz`)); n++) to = `${name.slice(0, -4)}_${stamp}_${n}.log`;
    renameSync(path, join(logsDir, to));
    report.rotated.push({ from: name, to });
  }

  const age = (name: string) => (now.getTime() - statSync(join(logsDir, name)).mtimeMs) / DAY_MS;
  for (const name of files()) {
    if (!name.endsWith('.log') || age(name) <= policy.compressAfterDays || inUse(name)) continue;
    const path = join(logsDir, name);
    const { atime, mtime } = statSync(path);
    const tmp = `${path}.gz.tmp`;
    await pipeline(createReadStream(path), createGzip(), createWriteStream(tmp));
    utimesSync(tmp, atime, mtime);
    renameSync(tmp, `${path}.gz`);
    unlinkSync(path);
    report.compressed.push(name);
  }

  if (policy.deleteAfterDays > 0) {
    for (const name of files()) {
      if (!name.endsWith('.log.gz') || age(name) <= policy.deleteAfterDays || inUse(name)) continue;
      unlinkSync(join(logsDir, name));
      report.deleted.push(name);
    }
  }
  return report;
}
