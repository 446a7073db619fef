import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputError } from '@web4/core';
import { afterEach, beforeEach, describe, expect, it, inject } from 'vitest';
import { compilePatterns, dateFromName, discoverFiles } from './pdca-discovery.js';
import { buildMessyJournal, MESSY_EXPECTED, MESSY_PDCAS, type MessyJournal } from './test-support/messy-journal.js';
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
    expect(d.problems).toEqual([]);
    expect(d.aliases).toEqual([{ path: join(root, 'po/2026-11-20-UTC-0930-review.md'), reason: expect.stringContaining('indexed once as dev/2026-11-20-UTC-0930-review') }]);
  });

  it('does not follow a symlink out of the root', () => {
    writeFileSync(join(outside, '2026-11-20-UTC-0930-secret.md'), '# s');
    symlinkSync(join(outside, '2026-11-20-UTC-0930-secret.md'), join(root, '2026-11-20-UTC-0930-secret.md'));
    symlinkSync(outside, join(root, 'elsewhere'));
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files).toEqual([]);
    // The PDCA-named file link is a failure; the folder link is named and not followed.
    expect(d.problems.map((p) => [p.kind, p.path])).toEqual([['outside_root', join(root, '2026-11-20-UTC-0930-secret.md')]]);
    expect(d.problems[0]!.reason).toContain(`outside the journal root ${realpathSync(root)}`);
    expect(d.skipped.map((p) => [p.kind, p.path])).toEqual([['outside_root', join(root, 'elsewhere')]]);
    // Indexing a components folder, the message names that root.
    const c = discoverFiles(root, DEFAULT_PATTERNS, { rootName: 'components folder', setting: 'rag.corpus.components' });
    expect(c.problems[0]!.reason).toContain('outside the components folder');
  });

  it('detects directory loops and self-referencing links, and still finds the rest', () => {
    mkdirSync(join(root, 'a/b'), { recursive: true });
    writeFileSync(join(root, 'a/b/2026-11-20-UTC-0930-real.md'), '# r');
    symlinkSync('../..', join(root, 'a/b/up'));
    symlinkSync('2026-11-20-UTC-1000-self.md', join(root, '2026-11-20-UTC-1000-self.md'));
    const d = discoverFiles(root, DEFAULT_PATTERNS);
    expect(d.files.map((f) => f.relPath)).toEqual(['a/b/2026-11-20-UTC-0930-real.md']);
    // A PDCA-named link that resolves to itself cannot be indexed: a failure.
    expect(d.problems).toEqual([{ path: join(root, '2026-11-20-UTC-1000-self.md'), kind: 'symlink_loop', reason: expect.stringContaining('resolves to itself') }]);
    // A link to a folder it sits in is a real loop: named, not followed, nothing missed.
    expect(d.skipped).toEqual([{ path: join(root, 'a/b/up'), kind: 'symlink_loop', reason: expect.stringContaining('a/b/up → . is a folder it sits in') }]);
    expect(d.aliases).toEqual([]);
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

describe('discoverFiles on a journal shaped like a real one', () => {
  let m: MessyJournal;
  beforeEach(() => {
    m = buildMessyJournal();
  });
  afterEach(() => m.cleanup());
  const rel = (root: string, paths: Array<{ path: string }>) => paths.map((p) => p.path.slice(root.length + 1)).sort();

  it('takes every PDCA once under its real path, counts aliases and ignored links, and fails only PDCAs it cannot take', () => {
    const d = discoverFiles(m.journal, DEFAULT_PATTERNS);
    expect(d.files.map((f) => f.pdcaId)).toEqual(Object.values(MESSY_PDCAS).sort((a, b) => a.localeCompare(b)));
    // `releases/latest → v1` sorts before v1; the PDCA is still v1's, and read from there.
    const release = d.files.find((f) => f.pdcaId === MESSY_PDCAS.releaseNotes)!;
    expect(release.path).toBe(join(m.journal, `${MESSY_PDCAS.releaseNotes}.md`));
    expect(release.nameDate).toBe('2026-11-25');
    expect(rel(m.journal, d.aliases)).toEqual([...MESSY_EXPECTED.aliases].sort());
    expect(d.aliases.find((a) => a.path.endsWith('releases/latest'))!.reason).toBe('folder alias of releases/v1, which is walked under its own path');
    expect(rel(m.journal, d.ignored)).toEqual([...MESSY_EXPECTED.ignored].sort());
    expect(d.problems.map((p) => [p.path.slice(m.journal.length + 1), p.kind])).toEqual([
      [MESSY_EXPECTED.brokenPdca, 'broken_link'],
      [MESSY_EXPECTED.outsidePdca, 'outside_root'],
    ]);
    // The broken PDCA link names its missing target.
    expect(d.problems[0]!.reason).toContain(`→ ${MESSY_EXPECTED.brokenTarget} (${join(m.journal, 'archive/2026-11-25-UTC-1200-moved-away.md')} does not exist)`);
    expect(d.problems[1]!.reason).toContain(`outside the journal root ${realpathSync(m.journal)}`);
    expect(d.skipped.map((p) => [p.path.slice(m.journal.length + 1), p.kind])).toEqual([
      [MESSY_EXPECTED.loop, 'symlink_loop'],
      [MESSY_EXPECTED.outsideFolder, 'outside_root'],
    ].sort((a, b) => a[0]!.localeCompare(b[0]!)));
  });

  it('finds PDCAs in capital-letter PDCA folders (patterns ignore case)', () => {
    const d = discoverFiles(m.journal, compilePatterns(['**/pdca/**/*.md']));
    expect(d.files.map((f) => f.pdcaId)).toContain(MESSY_PDCAS.capitalUndated);
  });

  it('names the components folder for a link that leaves it, and ignores dangling scenario JSON there', () => {
    const d = discoverFiles(m.components, compilePatterns(['*.ts', '*.md']), { rootName: 'components folder', setting: 'rag.corpus.components' });
    expect(d.problems).toEqual([{ path: join(m.components, 'Web4Requirement/0.1.3.0/src/ts/shared.ts'), kind: 'outside_root', reason: expect.stringContaining(`outside the components folder ${realpathSync(m.components)}`) }]);
    expect(rel(m.components, d.ignored)).toEqual(['Web4Requirement/0.1.3.0/src/ts/requirement.scenario.json']);
    expect(rel(m.components, d.aliases)).toEqual(['Web4Requirement/latest']);
    expect(d.files.some((f) => f.relPath.includes('/latest/'))).toBe(false);
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
