import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFaultFixtures } from './FaultFixtures.js';
import { parseArgs, writeJournal } from './main.js';
import { generateJournal } from './SyntheticJournal.js';

const DASHED = /(?:^|\/)(\d{4})-(\d{2})-(\d{2})-UTC-\d{4}-[^/]+\.md$/;
const COMPACT = /(?:^|\/)(\d{4})(\d{2})(\d{2})-[^/]+\.pdca\.md$/;

function dayOf(path: string): string | undefined {
  const m = DASHED.exec(path) ?? COMPACT.exec(path);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

describe('gen-corpus', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('is deterministic by seed and differs between seeds', () => {
    const a = generateJournal({ pdcas: 60, days: 6, seed: 42, today: '2026-11-25' });
    const b = generateJournal({ pdcas: 60, days: 6, seed: 42, today: '2026-11-25' });
    const c = generateJournal({ pdcas: 60, days: 6, seed: 43, today: '2026-11-25' });
    expect(b).toEqual(a);
    expect(c.map((f) => f.content)).not.toEqual(a.map((f) => f.content));
  });

  it('names every file in one of the two styles, with the day in the name, and uses both', () => {
    const files = generateJournal({ pdcas: 300, days: 20, seed: 1, today: '2026-11-25' });
    expect(files).toHaveLength(300);
    for (const f of files) {
      expect(dayOf(f.path), f.path).toBe(f.day);
      expect(f.content).toContain(`**🗓️ Date:** ${f.day}-UTC-`);
    }
    const compact = files.filter((f) => COMPACT.test(f.path)).length;
    expect(compact).toBeGreaterThan(30);
    expect(files.length - compact).toBeGreaterThan(150);
    expect(new Set(files.map((f) => f.path)).size).toBe(300);
    const days = [...new Set(files.map((f) => f.day))].sort();
    expect(days.at(-1)).toBe('2026-11-25');
    expect(days[0]! >= '2026-11-06').toBe(true);
  });

  it('writes realistic-size PDCAs with the template sections and resolvable Previous links', () => {
    const files = generateJournal({ pdcas: 120, days: 10, seed: 5, today: '2026-11-25' });
    const paths = new Set(files.map((f) => f.path));
    const sizes = files.map((f) => Buffer.byteLength(f.content)).sort((x, y) => x - y);
    expect(sizes[0]!).toBeGreaterThan(3000);
    expect(sizes.at(-1)!).toBeLessThan(8000);
    const mean = sizes.reduce((s, x) => s + x, 0) / sizes.length;
    expect(mean).toBeGreaterThan(3500);
    expect(mean).toBeLessThan(5000);
    for (const f of files.slice(1)) {
      for (const h of ['## **📋 PLAN**', '## **🔧 DO**', '## **✅ CHECK**', '## **🎯 ACT**']) expect(f.content).toContain(h);
      const link = /\*\*🔗 Previous PDCA:\*\* (?:\[GitHub\]\([^)]*\) \| )?\[[^\]]*\]\(([^)]+)\)/.exec(f.content);
      expect(link, f.path).not.toBeNull();
      expect(paths.has(posix.normalize(posix.join(posix.dirname(f.path), decodeURI(link![1]!)))), f.path).toBe(true);
    }
  });

  it('puts exactly --today-count PDCAs on the last day', () => {
    const files = generateJournal({ pdcas: 400, days: 10, seed: 7, todayCount: 200, today: '2026-11-25' });
    expect(files.filter((f) => f.day === '2026-11-25')).toHaveLength(200);
    expect(files.filter((f) => f.day !== '2026-11-25').length).toBe(200);
  });

  it('writes the files to disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-corpus-'));
    dirs.push(dir);
    const files = generateJournal({ pdcas: 25, days: 3, seed: 3, today: '2026-11-25' });
    writeJournal(dir, files);
    const count = (d: string): number =>
      readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(join(d, e.name)) : 1), 0);
    expect(count(dir)).toBe(25);
    expect(statSync(join(dir, files[0]!.path)).size).toBe(Buffer.byteLength(files[0]!.content));
  });

  it('writes the fault fixtures of issue 4 when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gen-corpus-faults-'));
    dirs.push(dir);
    const faults = writeFaultFixtures(dir, '2026-11-25');
    const f = (name: string) => join(dir, 'faults', name);
    expect(faults.map((x) => x.path)).toContain('faults/20261125-empty.pdca.md');
    expect(statSync(f('20261125-empty.pdca.md')).size).toBe(0);
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(f('20261125-latin1.pdca.md')))).toThrow();
    expect(readFileSync(f('20261125-binary.pdca.md')).includes(0)).toBe(true);
    expect(readFileSync(f('2026-11-25-UTC-1200-Übergabe notes.md'), 'utf8')).toContain('**🗓️ Date:** 2026-11-25-UTC-1200');
    expect(statSync(f('20261125-unreadable.pdca.md')).mode & 0o777).toBe(0);
    expect(readlinkSync(f('loop'))).toBe('.');
    expect(readlinkSync(f('20261125-outside.pdca.md'))).toBe('/etc/hostname');
    expect(lstatSync(f('20261125-dangling.pdca.md')).isSymbolicLink()).toBe(true);
    expect(faults.some((x) => x.path.endsWith('-huge.pdca.md'))).toBe(false);
    expect(parseArgs(['--out', 'x', '--pdcas', '1', '--days', '1', '--faults-large'])).toMatchObject({ faults: true, faultsLarge: true });
  });

  it('rejects bad options with a message naming the option', () => {
    expect(() => generateJournal({ pdcas: 0, days: 3, seed: 1, today: '2026-11-25' })).toThrow(/--pdcas/);
    expect(() => generateJournal({ pdcas: 10, days: 3, seed: 1, todayCount: 11, today: '2026-11-25' })).toThrow(/--today-count/);
    expect(() => generateJournal({ pdcas: 10, days: 3, seed: 1, today: '25.11.2026' })).toThrow(/--today/);
    expect(() => parseArgs(['--pdcas', '10', '--days', '3'])).toThrow(/--out is required/);
    expect(() => parseArgs(['--out', 'x', '--pdcas', 'ten', '--days', '3'])).toThrow(/--pdcas must be an integer/);
    expect(() => parseArgs(['--out', 'x', '--pdcas', '10', '--days', '3', '--colour', 'red'])).toThrow(/unknown option --colour/);
    expect(parseArgs(['--out', 'x', '--pdcas', '10', '--days', '3', '--today-count', '4'])).toMatchObject({ out: 'x', pdcas: 10, days: 3, seed: 1, todayCount: 4, today: '2026-11-25', force: false });
  });
});
