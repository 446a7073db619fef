import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadCaseFile } from '@web4/canary-suite';
import { EMPTY_PDCA, JOURNAL_SYMLINKS, LATIN1_PDCA, buildJournal } from './gen-corpus/build-examples.js';
import { loadStories } from './gen-corpus/StoryFile.js';
import { TRAINAI_TOPICS } from './gen-corpus/trainai-topics.js';

/**
 * Invariants of the embedded default data in examples/: what the indexer, the tuning command,
 * the canary suite and the validator rely on. If one fails after editing the stories, rebuild
 * with `npx tsx tools/gen-corpus/build-examples.ts`.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const examples = join(repo, 'examples');
const journal = join(examples, 'journal');

const DASHED = /(?:^|\/)(\d{4})-(\d{2})-(\d{2})-UTC-\d{4}(?:-[^/]*)?\.md$/;
const COMPACT = /(?:^|\/)(\d{4})(\d{2})(\d{2})-[^/]+\.pdca\.md$/;
const DATE_LINE = /^\*\*🗓️ Date:\*\* (\d{4}-\d{2}-\d{2})-UTC-\d{4}/m;
const COLLECTION_DIRS: Record<string, string> = {
  pdca_historical: 'journal/',
  components: 'components/',
  process_docs: 'process_docs/',
  tool_examples: 'tool_examples/',
  process_framework: 'trainai/',
  daily_buffer: 'journal/',
};

interface Entry {
  rel: string;
  kind: 'file' | 'symlink';
}

function walk(dir: string, base = dir): Entry[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e): Entry[] => {
    const full = join(dir, e.name);
    const rel = relative(base, full).split(sep).join('/');
    if (e.isSymbolicLink()) return [{ rel, kind: 'symlink' }];
    if (e.isDirectory()) return walk(full, base);
    return [{ rel, kind: 'file' }];
  });
}

const entries = walk(journal);
const files = entries.filter((e) => e.kind === 'file').map((e) => e.rel);
const fixtures = new Set([EMPTY_PDCA, LATIN1_PDCA]);
const pdcas = files.filter((f) => !fixtures.has(f));
const text = (rel: string) => readFileSync(join(journal, rel), 'utf8');
const yamlAt = (rel: string) => parse(readFileSync(join(examples, rel), 'utf8')) as Record<string, unknown>;

function dayOf(rel: string): string | undefined {
  const m = DASHED.exec(rel) ?? COMPACT.exec(rel);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  return DATE_LINE.exec(text(rel))?.[1];
}

describe('examples/journal', () => {
  it('has at least 60 PDCAs over at least 10 days, several of them on "today" (2026-11-25)', () => {
    expect(pdcas.length).toBeGreaterThanOrEqual(60);
    const days = new Map<string, number>();
    for (const f of pdcas) {
      const d = dayOf(f);
      expect(d, `${f} has no date in its name or header`).toBeDefined();
      days.set(d!, (days.get(d!) ?? 0) + 1);
    }
    expect(days.size).toBeGreaterThanOrEqual(10);
    expect([...days.keys()].every((d) => d >= '2026-11-10' && d <= '2026-11-25')).toBe(true);
    expect(days.get('2026-11-25')).toBeGreaterThanOrEqual(5);
  });

  it('uses both file-name styles and has PDCAs whose name carries no date', () => {
    expect(pdcas.filter((f) => DASHED.test(f) && f.includes('/pdca/role/')).length).toBeGreaterThanOrEqual(40);
    expect(pdcas.filter((f) => COMPACT.test(f)).length).toBeGreaterThanOrEqual(5);
    const undated = pdcas.filter((f) => !DASHED.test(f) && !COMPACT.test(f));
    expect(undated.length).toBeGreaterThanOrEqual(1);
    for (const f of undated) expect(DATE_LINE.test(text(f)), f).toBe(true);
  });

  it('follows the PDCA template: title, header lines, PLAN/DO/CHECK/ACT', () => {
    for (const f of pdcas) {
      const t = text(f);
      expect(t.startsWith('# 📋 **PDCA Cycle: '), f).toBe(true);
      expect(t, f).toMatch(DATE_LINE);
      for (const key of ['🎯 Objective:', '🔗 Last Commit SHA:', '🔗 Previous PDCA:']) expect(t, `${f}: ${key}`).toContain(`**${key}**`);
      expect(t, f).toMatch(/\*\*👤 (Agent )?Role:\*\*/);
      const order = ['## **📋 PLAN**', '## **🔧 DO**', '## **✅ CHECK**', '## **🎯 ACT**'].map((h) => t.indexOf(h));
      expect(order.every((i) => i > 0), f).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    }
  });

  it('links every PDCA but the first of each chain to an existing previous PDCA by a relative path', () => {
    let linked = 0;
    for (const f of pdcas) {
      const m = /\*\*🔗 Previous PDCA:\*\* (?:\[GitHub\]\([^)]*\) \| )?\[[^\]]*\]\(([^)]+)\)/.exec(text(f));
      if (!m) continue;
      linked++;
      const href = decodeURI(m[1]!);
      expect(isAbsolute(href) || /^https?:/.test(href), f).toBe(false);
      const target = posix.normalize(posix.join(posix.dirname(f), href));
      expect(files.includes(target), `${f} -> ${target}`).toBe(true);
    }
    expect(linked).toBeGreaterThanOrEqual(pdcas.length - 3);
  });

  it('ranges in size from a few hundred bytes to about 30 KB', () => {
    const sizes = pdcas.map((f) => statSync(join(journal, f)).size);
    expect(Math.min(...sizes)).toBeLessThan(800);
    expect(Math.max(...sizes)).toBeGreaterThan(25_000);
    expect(Math.max(...sizes)).toBeLessThan(40_000);
  });

  it('has relative symlinks that resolve to PDCAs inside the journal', () => {
    const links = entries.filter((e) => e.kind === 'symlink').map((e) => e.rel).sort();
    expect(links).toEqual(Object.keys(JOURNAL_SYMLINKS).sort());
    const realRoot = realpathSync(journal);
    for (const l of links) {
      expect(isAbsolute(readlinkSync(join(journal, l))), l).toBe(false);
      const real = realpathSync(join(journal, l));
      expect(real.startsWith(realRoot + sep), l).toBe(true);
      expect(lstatSync(real).isFile()).toBe(true);
      expect(relative(realRoot, real).split(sep).join('/')).toBe(JOURNAL_SYMLINKS[l]);
    }
  });

  it('has the 0-byte fixture and the Latin-1 (invalid UTF-8) fixture', () => {
    expect(statSync(join(journal, EMPTY_PDCA)).size).toBe(0);
    const bytes = readFileSync(join(journal, LATIN1_PDCA));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(bytes.toString('latin1')).toContain('Überblick');
    for (const f of pdcas) expect(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(join(journal, f))), f).not.toThrow();
  });

  it('mentions components and TrainAI topics so cross-reference edges can be drawn', () => {
    const components = walk(join(examples, 'components')).map((e) => e.rel.replace(/\.ts$/, ''));
    const names = components.flatMap((c) => [c, c.split('/').pop()!.replace('.interface', '')]);
    const withComponent = pdcas.filter((f) => names.some((n) => text(f).includes(n)));
    const withTopic = pdcas.filter((f) => TRAINAI_TOPICS.some((t) => text(f).includes(`\`${t.id}\``) || t.keywords.some((k) => text(f).toLowerCase().includes(k))));
    expect(withComponent.length).toBeGreaterThanOrEqual(40);
    expect(withTopic.length).toBeGreaterThanOrEqual(30);
  });

  it('is exactly what build-examples.ts produces from the stories (no hand edits in the output)', () => {
    const out = mkdtempSync(join(tmpdir(), 'examples-journal-'));
    try {
      buildJournal(out, loadStories(join(repo, 'tools/gen-corpus/stories')));
      const rebuilt = walk(out);
      expect(rebuilt.map((e) => `${e.kind} ${e.rel}`).sort()).toEqual(entries.map((e) => `${e.kind} ${e.rel}`).sort());
      for (const e of rebuilt.filter((x) => x.kind === 'file')) {
        expect(readFileSync(join(out, e.rel)).equals(readFileSync(join(journal, e.rel))), e.rel).toBe(true);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('examples corpus folders', () => {
  it('has the 20 TrainAI topics as files and in topics.yaml', () => {
    const doc = yamlAt('trainai/topics.yaml') as { topics: { id: string; title: string; file: string; keywords: string[] }[] };
    expect(doc.topics).toHaveLength(20);
    expect(new Set(doc.topics.map((t) => t.id)).size).toBe(20);
    expect(doc.topics.map((t) => t.id)).toEqual(TRAINAI_TOPICS.map((t) => t.id));
    for (const t of doc.topics) {
      expect(t.keywords.length, t.id).toBeGreaterThanOrEqual(3);
      const md = readFileSync(join(examples, 'trainai', t.file), 'utf8');
      expect(md).toContain(`\`${t.id}\``);
      expect(md).toContain(t.title);
    }
  });

  it('has components in the 5-layer layout, process docs and tool examples', () => {
    const comps = walk(join(examples, 'components')).map((e) => e.rel);
    expect(comps.length).toBeGreaterThanOrEqual(10);
    expect(comps.every((c) => /^layer[1-5]\/[A-Z][A-Za-z]+(\.interface)?\.ts$/.test(c))).toBe(true);
    expect(comps.some((c) => c.startsWith('layer2/')) && comps.some((c) => c.startsWith('layer3/'))).toBe(true);
    expect(readdirSync(join(examples, 'process_docs')).filter((f) => f.endsWith('.md')).length).toBeGreaterThanOrEqual(6);
    expect(readdirSync(join(examples, 'tool_examples')).filter((f) => f.endsWith('.md')).length).toBeGreaterThanOrEqual(10);
  });

  it('points web4.config.json at folders that exist', () => {
    const cfg = JSON.parse(readFileSync(join(examples, 'web4.config.json'), 'utf8'));
    for (const p of [cfg.rag.journal.root, ...Object.values(cfg.rag.corpus as Record<string, string>), cfg.rag.relevanceSet, cfg.validation.queriesFile, cfg.validation.canaryFile]) {
      expect(existsSync(join(repo, p as string)), p as string).toBe(true);
    }
  });
});

describe('examples YAML sets', () => {
  // The case files are validated by the loader the canary suite and the validator use: every
  // assertion type known, every value of the right type, every regex compiled.
  it('has 20 canary cases that load, with unique ids, covering what the plan names', () => {
    const cases = loadCaseFile(join(examples, 'canary/cases.yaml'));
    expect(cases).toHaveLength(20);
    expect(new Set(cases.map((c) => c.id)).size).toBe(20);
    const types = new Set(cases.flatMap((c) => c.assertions.map((a) => a.type)));
    for (const t of ['pdca-sections', 'refusal', 'is-tool-call', 'json', 'json-schema']) expect(types.has(t), t).toBe(true);
    expect(cases.filter((c) => /TRON/.test(c.prompt)).length).toBeGreaterThanOrEqual(1);
    expect(cases.filter((c) => /constructor/.test(c.prompt)).length).toBeGreaterThanOrEqual(1);
  });

  it("has the plan's 20+ challenging queries that load, in the same vocabulary", () => {
    const queries = loadCaseFile(join(examples, 'validation/challenging_queries.yaml'));
    expect(queries.length).toBeGreaterThanOrEqual(20);
    expect(new Set(queries.map((q) => q.id)).size).toBe(queries.length);
  });

  it('has at least 25 labelled queries whose relevant documents exist in the right collection folder', () => {
    const doc = yamlAt('queries/relevance.yaml') as { queries: { id: string; query: string; relevant: Record<string, string[]> }[] };
    expect(doc.queries.length).toBeGreaterThanOrEqual(25);
    expect(new Set(doc.queries.map((q) => q.id)).size).toBe(doc.queries.length);
    const used = new Set<string>();
    for (const q of doc.queries) {
      expect(Object.keys(q.relevant).length, q.id).toBeGreaterThanOrEqual(1);
      for (const [collection, docs] of Object.entries(q.relevant)) {
        expect(COLLECTION_DIRS[collection], `${q.id}: unknown collection ${collection}`).toBeDefined();
        used.add(collection);
        for (const d of docs) {
          expect(d.startsWith(COLLECTION_DIRS[collection]!), `${q.id}: ${d}`).toBe(true);
          if (collection === 'daily_buffer') expect(dayOf(d.slice('journal/'.length)), `${q.id}: ${d} is not from today`).toBe('2026-11-25');
          expect(existsSync(join(examples, d)), `${q.id}: ${d}`).toBe(true);
        }
      }
    }
    expect([...used].sort()).toEqual(Object.keys(COLLECTION_DIRS).sort());
  });
});

