import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { rotateLogs } from './log-rotation.js';

const base = mkdtempSync(join(tmpdir(), 'web4-rotation-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const NOW = new Date('2026-11-30T20:50:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);
function logFile(dir: string, name: string, ageDays: number, text = `${name}\n`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  utimesSync(path, daysAgo(ageDays), daysAgo(ageDays));
  return path;
}

describe('log rotation (files dated by mtime)', () => {
  it('renames appended logs, gzips logs older than compressAfterDays, deletes old .gz, leaves non-logs alone', async () => {
    const logs = join(base, 'logs');
    mkdirSync(logs);
    logFile(logs, 'evening_loop_20261001_220000.log', 60, 'night of Oct 1\n');
    logFile(logs, 'evening_loop_20261120_220000.log', 10);
    logFile(logs, 'daily_indexing.log', 0.5, 'indexed 3\n');
    logFile(logs, 'morning_validation.log', 40, 'old run\n');
    logFile(logs, 'empty.log', 2, '');
    logFile(logs, 'evening_loop_20250101_220000.log.gz', 400);
    logFile(logs, 'evening_loop_20260601_220000.log.gz', 100);
    logFile(logs, 'alerts_undelivered.jsonl', 90);
    logFile(logs, 'production_metrics.db', 90);
    logFile(logs, 'daily_buffer_20260101_220000.json', 300);
    mkdirSync(join(logs, 'services'));
    logFile(join(logs, 'services'), 'chroma.log', 90);

    const report = await rotateLogs(logs, { compressAfterDays: 30, deleteAfterDays: 365 }, NOW);
    expect(report.inUseCheck).toBe('open-handles');
    expect(report.rotated).toEqual([
      { from: 'daily_indexing.log', to: 'daily_indexing_20261130_205000.log' },
      { from: 'morning_validation.log', to: 'morning_validation_20261130_205000.log' },
    ]);
    expect(report.compressed.sort()).toEqual(['evening_loop_20261001_220000.log', 'morning_validation_20261130_205000.log']);
    expect(report.deleted).toEqual(['evening_loop_20250101_220000.log.gz']);
    expect(readdirSync(logs).sort()).toEqual([
      'alerts_undelivered.jsonl',
      'daily_buffer_20260101_220000.json',
      'daily_indexing_20261130_205000.log',
      'empty.log',
      'evening_loop_20260601_220000.log.gz',
      'evening_loop_20261001_220000.log.gz',
      'evening_loop_20261120_220000.log',
      'morning_validation_20261130_205000.log.gz',
      'production_metrics.db',
      'services',
    ]);
    const gz = join(logs, 'evening_loop_20261001_220000.log.gz');
    expect(gunzipSync(readFileSync(gz)).toString()).toBe('night of Oct 1\n');
    expect(Math.round(statSync(gz).mtimeMs)).toBe(daysAgo(60).getTime()); // it keeps its age, for the deletion later
    expect(existsSync(join(logs, 'services', 'chroma.log'))).toBe(true);

    // Again: nothing left to do.
    const second = await rotateLogs(logs, { compressAfterDays: 30, deleteAfterDays: 365 }, NOW);
    expect([second.rotated, second.compressed, second.deleted]).toEqual([[], [], []]);
  });

  it('never renames, compresses or deletes a log that a running process has open (or its .jsonl sibling), or that was just written', async () => {
    const logs = join(base, 'busy');
    mkdirSync(logs);
    const night = logFile(logs, 'evening_loop_20261001_220000.log', 45, 'a night still running\n');
    // The nightly loop appends its .log line by line and holds its .jsonl open all night.
    logFile(logs, 'evening_loop_20261002_220000.log', 45, 'another night still running\n');
    const nightJson = logFile(logs, 'evening_loop_20261002_220000.jsonl', 45, '{}\n');
    logFile(logs, 'daily_indexing.log', 3 / 1440, 'written 3 minutes ago\n');
    const cron = logFile(logs, 'cron_evening-loop.log', 45);
    logFile(logs, 'evening_loop_20250101_220000.log.gz', 400);
    const writer = (file: string) => {
      const fd = openSync(file, 'a');
      const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: ['ignore', fd, 'ignore'] });
      closeSync(fd);
      return child;
    };
    const children = [writer(night), writer(cron), writer(join(logs, 'evening_loop_20250101_220000.log.gz')), writer(nightJson)];
    try {
      await new Promise((r) => setTimeout(r, 200));
      const report = await rotateLogs(logs, { compressAfterDays: 30, deleteAfterDays: 365 }, NOW);
      expect(report.inUse.sort()).toEqual(['cron_evening-loop.log', 'daily_indexing.log', 'evening_loop_20250101_220000.log.gz', 'evening_loop_20261001_220000.log', 'evening_loop_20261002_220000.log']);
      expect([report.rotated, report.compressed, report.deleted]).toEqual([[], [], []]);
    } finally {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)))));
    }
    // Once the run has ended, the same call does its work.
    const after = await rotateLogs(logs, { compressAfterDays: 30, deleteAfterDays: 365 }, NOW);
    expect(after.rotated).toEqual([{ from: 'cron_evening-loop.log', to: 'cron_evening-loop_20261130_205000.log' }]);
    expect(after.inUse).toEqual(['daily_indexing.log']);
    expect(after.compressed.sort()).toEqual(['cron_evening-loop_20261130_205000.log', 'evening_loop_20261001_220000.log', 'evening_loop_20261002_220000.log']);
    expect(after.deleted).toEqual(['evening_loop_20250101_220000.log.gz']);
  });

  it('deleteAfterDays 0 keeps compressed logs forever', async () => {
    const logs = join(base, 'forever');
    mkdirSync(logs);
    logFile(logs, 'x_20200101.log.gz', 2000);
    expect((await rotateLogs(logs, { compressAfterDays: 30, deleteAfterDays: 0 }, NOW)).deleted).toEqual([]);
  });
});
