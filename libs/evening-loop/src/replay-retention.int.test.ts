import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallJournal, writeJournal } from './test-support/journal.js';
import { TINY_CANARIES, tinyNight, type TinyNight } from './test-support/tiny-night.js';

/**
 * `web4 evening replay` through the CLI (on the tiny model: the mechanics, not the model's
 * quality — docs/benchmarks.md has the figures of the embedded default), and the retention of
 * backups and old versions.
 */
let t: TinyNight;
beforeAll(async () => {
  t = await tinyNight({ settings: { evening: { gates: { maxRetentionLossIncreasePct: 100, retentionSetSize: 1, canaryConcurrency: 2 }, retention: { backups: 1, rejectedCandidates: 1, retiredVersions: 0 } } } });
}, 300_000);
afterAll(async () => t?.cleanup());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report JSON, read field by field
type Json = Record<string, any>;

describe('web4 evening replay', () => {
  it('plays the journal night by night on a fresh state root, measures each night on the next day, and leaves nothing behind', async () => {
    const r = await t.cli(['evening', 'replay', '--nights', '2', '--json']);
    expect([0, 1], r.err).toContain(r.code); // 1: the tiny model may miss the -10 % target; the figures are what is checked
    const report = JSON.parse(r.out) as Json;
    expect(report.days).toEqual(['2026-11-20', '2026-11-21', '2026-11-22']);
    expect(report.nights).toHaveLength(2);
    for (const [i, n] of (report.nights as Json[]).entries()) {
      expect(n).toMatchObject({ night: i + 1, day: report.days[i], nextDay: report.days[i + 1], items: 2 });
      expect(n.nextDayLoss.base).toBeGreaterThan(0);
      expect(n.nextDayLoss.candidate).toBeGreaterThan(0);
      expect(n.nextDayLoss.tokens).toBeGreaterThan(0);
      expect(['complete', 'rejected']).toContain(n.status);
    }
    expect(report.nights[1].retention.tokens).toBeGreaterThan(0); // night 2 has history to measure forgetting on
    expect(report.target.lines.join('\n')).toMatch(/after 2 nights the served model's loss on the next day's unseen PDCAs is [+-]\d+\.\d\d % against the base model/);
    expect(JSON.parse(readFileSync(report.reportFile, 'utf8')).nights).toHaveLength(2);
    // Its own state root, Chroma database and Ollama names are gone; the user's state is untouched.
    expect(existsSync(report.root)).toBe(false);
    expect([...(await t.ollama.digests()).keys()].filter((n) => n.startsWith('web4-replay-'))).toEqual([]);
    expect(t.store().models.versions()).toEqual([]);
    const bad = await t.cli(['evening', 'replay', '--nights', '3']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/3 nights need 4 \(each night is checked on the next day\)/);
  }, 600_000);
});

describe('retention', () => {
  it('keeps the newest backups and rejected candidates as configured, never a tagged version', async () => {
    writeJournal(join(t.journal, 'more'), smallJournal('2026-11-23', 2, 2));
    for (const day of ['2026-11-20', '2026-11-21', '2026-11-22']) {
      await t.index(day);
      const out = await t.loop(day).run();
      expect(out.status, JSON.stringify(out.error)).toBe('complete');
    }
    // Two rejected nights (a canary the model cannot pass), then a good one.
    writeFileSync(join(t.root, 'canaries.yaml'), `${TINY_CANARIES}  - id: impossible\n    prompt: x\n    assertions: [{ type: contains, value: NEVER-IN-AN-ANSWER }]\n`);
    await t.index('2026-11-23');
    expect((await t.loop('2026-11-23').run()).status).toBe('rejected');
    expect((await t.loop('2026-11-23').run()).status).toBe('rejected');
    writeFileSync(join(t.root, 'canaries.yaml'), TINY_CANARIES);
    await t.index('2026-11-24');
    const last = await t.loop('2026-11-24').run();
    expect(last.status).toBe('complete');

    const backups = readdirSync(t.paths().backupsDir);
    expect(backups).toHaveLength(1); // evening.retention.backups = 1
    const versions = t.store().models.versions();
    const onDisk = versions.filter((v) => existsSync(v.dir));
    const tags = t.store().models.tags();
    expect(onDisk.filter((v) => v.state === 'rejected')).toHaveLength(1); // the newer rejected one is kept for analysis
    for (const version of Object.values(tags)) expect(existsSync(t.store().models.version(version)!.dir), `${version} is tagged`).toBe(true);
    expect(onDisk.map((v) => v.version).sort()).toEqual([...new Set([...Object.values(tags), onDisk.find((v) => v.state === 'rejected')!.version])].sort());
    // Ollama keeps the own names of tagged versions only.
    const names = [...(await t.ollama.digests()).keys()].filter((n) => n.startsWith(`${t.repo}:v`));
    expect(names.sort()).toEqual(Object.values(tags).map((v) => t.store().models.version(v)!.ollamaName).filter((n, i, a) => a.indexOf(n) === i).sort());
  }, 600_000);
});
