import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputError } from '@web4/core';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { compilePatterns, dateFromName, discoverFiles } from './pdca-discovery.js';
/** Root runs the permission check as "nobody", which must be able to reach this checkout (tools/test/as-nobody.ts). */
const cannotRunAsNobody = inject('asNobodyBlocked') !== '';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PATTERNS = compilePatterns(['[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]-*.pdca.md', '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]-UTC-[0-9][0-9][0-9][0-9]*.md', '**/pdca/**/*.md']);

describe('discoverFiles', () => {
  let root: string;
  let outside: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'web4-disc-'));
    outside = mkdtempSync(join(tmpdir(), 'web4-outside-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('finds both naming styles recursively and ignores other files', () => {
    mkdirSync(join(root, 'a/pdca/role/dev'), { recursive: true });
    writeFileSync(join(root, 'a/pdca/role/dev/2026-11-20-UTC-0930-chunker.md'), '# x');
    writeFileSync(join(root, 'a/pdca/role/dev/2026-11-20-UTC-1000.md'), '# no slug');
    writeFileSync(join(root, '20261121-cache.pdca.md'), '# y');
    writeFileSync(join(root, 'notes.md'), 'not a pdca');
    writeFileSync(join(root, 'a/pdca/role/dev/retrospective.md'), '**Date:** 2026-11-22');
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files.map((f) => f.relPath)).toEqual([
      '20261121-cache.pdca.md',
      'a/pdca/role/dev/2026-11-20-UTC-0930-chunker.md',
      'a/pdca/role/dev/2026-11-20-UTC-1000.md',
      'a/pdca/role/dev/retrospective.md',
    ]);
    expect(d.files.map((f) => f.nameDate)).toEqual(['2026-11-21', '2026-11-20', '2026-11-20', null]);
    expect(d.files[0]!.pdcaId).toBe('20261121-cache');
    expect(d.problems).toEqual([]);
  });

  it('keeps names with spaces and non-ASCII characters', () => {
    writeFileSync(join(root, '2026-11-20-UTC-0930-größe und leerzeichen.md'), '# ü');
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files).toHaveLength(1);
    expect(d.files[0]!.pdcaId).toBe('2026-11-20-UTC-0930-größe und leerzeichen');
  });

  it('yields a symlinked entry once, under the real file, and says so', () => {
    mkdirSync(join(root, 'dev'));
    mkdirSync(join(root, 'po'));
    writeFileSync(join(root, 'dev/2026-11-20-UTC-0930-review.md'), '# r');
    symlinkSync('../dev/2026-11-20-UTC-0930-review.md', join(root, 'po/2026-11-20-UTC-0930-review.md'));
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files.map((f) => f.relPath)).toEqual(['dev/2026-11-20-UTC-0930-review.md']);
    expect(d.problems).toHaveLength(1);
    expect(d.problems[0]!.kind).toBe('duplicate');
    expect(d.problems[0]!.reason).toContain('dev/2026-11-20-UTC-0930-review');
  });

  it('does not follow a symlink out of the root', () => {
    writeFileSync(join(outside, '2026-11-20-UTC-0930-secret.md'), '# s');
    symlinkSync(join(outside, '2026-11-20-UTC-0930-secret.md'), join(root, '2026-11-20-UTC-0930-secret.md'));
    symlinkSync(outside, join(root, 'elsewhere'));
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files).toEqual([]);
    expect(d.problems.map((p) => p.kind).sort()).toEqual(['outside_root', 'outside_root']);
    expect(d.problems[0]!.reason).toContain('outside the journal root');
  });

  it('detects directory loops and self-referencing links, and still finds the rest', () => {
    mkdirSync(join(root, 'a/b'), { recursive: true });
    writeFileSync(join(root, 'a/b/2026-11-20-UTC-0930-real.md'), '# r');
    symlinkSync('../..', join(root, 'a/b/up'));
    symlinkSync('2026-11-20-UTC-1000-self.md', join(root, '2026-11-20-UTC-1000-self.md'));
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files.map((f) => f.relPath)).toEqual(['a/b/2026-11-20-UTC-0930-real.md']);
    const kinds = d.problems.map((p) => p.kind);
    expect(kinds.filter((k) => k === 'symlink_loop')).toHaveLength(2);
  });

  it.skipIf(cannotRunAsNobody)('reports a folder it cannot list and still finds the rest', () => {
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'locked'));
    writeFileSync(join(root, 'locked/2026-11-20-UTC-0930-hidden.md'), '# h');
    writeFileSync(join(root, '2026-11-20-UTC-1000-open.md'), '# o');
    chmodSync(join(root, 'locked'), 0o000);
    let d: { files: Array<{ relPath: string }>; problems: Array<{ kind: string; reason: string }> };
    if (process.getuid?.() === 0) {
      // Root lists mode-000 folders; run discovery as "nobody", where the permission applies.
      const script = `import { compilePatterns, discoverFiles } from ${JSON.stringify(join(here, 'pdca-discovery.ts'))}; console.log(JSON.stringify(discoverFiles(process.argv[1], compilePatterns(['**/*.md']))))`;
      const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, root], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: join(here, '../../..') });
      expect(child.status, child.stderr).toBe(0);
      d = JSON.parse(child.stdout) as typeof d;
    } else {
      d = discoverFiles(root, compilePatterns(['**/*.md']));
    }
    chmodSync(join(root, 'locked'), 0o755);
    expect(d.files.map((f) => f.relPath)).toEqual(['2026-11-20-UTC-1000-open.md']);
    expect(d.problems).toEqual([{ path: join(root, 'locked'), kind: 'unreadable', reason: expect.stringContaining('EACCES') }]);
    expect(d.problems[0]!.reason).toContain('chmod u+rx');
  });

  it('rejects a missing root and a bad pattern with what to fix', () => {
    const hintOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as InputError).hint;
      }
      return 'did not throw';
    };
    expect(hintOf(() => discoverFiles(join(root, 'nope'), DEFAULT_PATTERNS))).toContain('rag.journal.root');
    expect(hintOf(() => compilePatterns(['[0-9-unclosed']))).toContain('rag.journal.patterns');
  });
});

describe('compilePatterns', () => {
  it('matches globs on paths, and on names when the glob has no folder', () => {
    const [deep, name, year] = compilePatterns(['**/pdca/**/*.md', '*.pdca.md', '[0-9][0-9][0-9][0-9]-?.md']);
    expect(deep!.test('s/pdca/role/x.md')).toBe(true);
    expect(deep!.test('pdca/x.md')).toBe(true);
    expect(deep!.test('s/notes/x.md')).toBe(false);
    expect(name!.test('deep/down/20261121-a.pdca.md')).toBe(true);
    expect(name!.test('deep/down/20261121-a.md')).toBe(false);
    expect(year!.test('2026-a.md')).toBe(true);
    expect(year!.test('20x6-a.md')).toBe(false);
    expect(year!.test('2026-ab.md')).toBe(false);
  });
});

describe('dateFromName', () => {
  it('reads both styles and rejects impossible days', () => {
    expect(dateFromName('20261121-x.pdca.md')).toBe('2026-11-21');
    expect(dateFromName('2026-11-21-UTC-0930-x.md')).toBe('2026-11-21');
    expect(dateFromName('notes.md')).toBeNull();
    expect(dateFromName('2026-13-45-UTC-0930.md')).toBeNull();
  });
});
