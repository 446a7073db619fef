/**
 * Rebuilds the example journal (examples/journal/) and the TrainAI topic files
 * (examples/trainai/) from the hand-written stories and topic list in this folder.
 *
 *   tsx tools/gen-corpus/build-examples.ts [--examples DIR]
 *
 * The special files are made here rather than committed by hand because editors and some git
 * settings "repair" them: the Latin-1 fixture would be re-encoded, the empty placeholder filled
 * with a newline, symlinks replaced by copies.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { APPENDICES } from './appendices.js';
import { renderPDCA, type PreviousLink } from './renderPDCA.js';
import { loadStories, type StorySource } from './StoryFile.js';
import { TRAINAI_TOPICS } from './trainai-topics.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Path of a story's file relative to the journal root. */
export function storyPath(s: StorySource): string {
  if (s.naming === 'compact') return `daily-notes/${s.day.replaceAll('-', '')}-${s.slug}.pdca.md`;
  const folder = `${s.session}/pdca/role/${s.role}`;
  return s.naming === 'undated' ? `${folder}/${s.slug}.md` : `${folder}/${s.day}-UTC-${s.time}-${s.slug}.md`;
}

/** Symlinks in the example journal: link path -> target path, both relative to the journal root. */
export const JOURNAL_SYMLINKS: Record<string, string> = {
  'highlights/chunker-fix.md': '2026-11-12-0900-indexer-sprint/pdca/role/developer/2026-11-12-UTC-0930-chunker-drops-document-tail.md',
  'highlights/latest-handover.md': '2026-11-25-0800-release-prep/pdca/role/developer/2026-11-25-UTC-1330-handover-after-release.md',
  // The same PDCA shared into a second role folder, as teams do for reviews.
  '2026-11-25-0800-release-prep/pdca/role/po/2026-11-25-UTC-1015-release-candidate-review.md':
    '2026-11-25-0800-release-prep/pdca/role/developer/2026-11-25-UTC-1015-release-candidate-review.md',
};

export const EMPTY_PDCA = '2026-11-21-0900-nightly-loop/pdca/role/developer/2026-11-21-UTC-1750-placeholder-evening-notes.md';
export const LATIN1_PDCA = 'daily-notes/20261119-wiki-export-original.pdca.md';

function sha7(s: string): string {
  return createHash('sha1').update(s).digest('hex').slice(0, 7);
}

/**
 * Previous PDCA chains: within a session folder in time order; the first entry of a session
 * points at the last entry of the session before it; daily notes form their own chain.
 */
function previousOf(stories: StorySource[]): Map<StorySource, StorySource | undefined> {
  const prev = new Map<StorySource, StorySource | undefined>();
  const order = [...stories].sort((a, b) => `${a.day}${a.time}`.localeCompare(`${b.day}${b.time}`));
  let lastSession: StorySource | undefined;
  let lastNote: StorySource | undefined;
  for (const s of order) {
    if (s.naming === 'compact') {
      prev.set(s, lastNote);
      lastNote = s;
    } else {
      prev.set(s, lastSession);
      lastSession = s;
    }
  }
  return prev;
}

export function buildJournal(journalDir: string, stories: StorySource[]): string[] {
  rmSync(journalDir, { recursive: true, force: true });
  const prev = previousOf(stories);
  const written: string[] = [];
  stories.forEach((s, i) => {
    const path = storyPath(s);
    const p = prev.get(s);
    let previous: PreviousLink | undefined;
    if (p) {
      const target = storyPath(p);
      previous = { title: p.title, href: posix.relative(posix.dirname(path), target), rootPath: target };
    }
    const appendix = s.appendix ? APPENDICES[s.appendix] : undefined;
    if (s.appendix && !appendix) throw new Error(`story ${s.slug}: unknown appendix "${s.appendix}"`);
    const text = renderPDCA({ ...s, appendix: appendix?.() }, { sha: sha7(s.slug), previous, variant: i, plain: s.encoding === 'latin1' });
    const full = join(journalDir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (s.encoding === 'latin1') {
      const bad = [...text].find((c) => c.codePointAt(0)! > 0xff);
      if (bad) throw new Error(`story ${s.slug}: "${bad}" cannot be written as Latin-1`);
      writeFileSync(full, Buffer.from(text, 'latin1'));
    } else writeFileSync(full, text, 'utf8');
    written.push(path);
  });
  const empty = join(journalDir, EMPTY_PDCA);
  mkdirSync(dirname(empty), { recursive: true });
  writeFileSync(empty, '');
  for (const [link, target] of Object.entries(JOURNAL_SYMLINKS)) {
    const full = join(journalDir, link);
    mkdirSync(dirname(full), { recursive: true });
    symlinkSync(relative(dirname(full), join(journalDir, target)), full);
  }
  return written;
}

export function buildTrainAI(trainaiDir: string): void {
  rmSync(trainaiDir, { recursive: true, force: true });
  mkdirSync(trainaiDir, { recursive: true });
  TRAINAI_TOPICS.forEach((t, i) => {
    const n = String(i + 1).padStart(2, '0');
    const md = [
      `# TrainAI ${n}: ${t.title}`,
      '',
      `**Topic id:** \`${t.id}\`  `,
      `**Keywords:** ${t.keywords.join(', ')}`,
      '',
      t.body,
      '',
    ].join('\n');
    writeFileSync(join(trainaiDir, `${t.id}.md`), md);
  });
  const header =
    '# The 20 TrainAI topics of the example process framework (collection: process_framework).\n' +
    '# Generated by tools/gen-corpus/build-examples.ts from tools/gen-corpus/trainai-topics.ts; edit there.\n' +
    '# The indexer links a PDCA to a topic when it names the id or title, or contains enough of the keyword phrases.\n';
  const topics = TRAINAI_TOPICS.map((t) => ({ id: t.id, title: t.title, file: `${t.id}.md`, keywords: t.keywords }));
  writeFileSync(join(trainaiDir, 'topics.yaml'), header + stringify({ topics }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const at = process.argv.indexOf('--examples');
  const examples = at >= 0 ? process.argv[at + 1]! : join(here, '../../examples');
  const stories = loadStories(join(here, 'stories'));
  const written = buildJournal(join(examples, 'journal'), stories);
  buildTrainAI(join(examples, 'trainai'));
  console.log(`wrote ${written.length} PDCAs, 1 empty file, ${Object.keys(JOURNAL_SYMLINKS).length} symlinks, ${TRAINAI_TOPICS.length} TrainAI topics under ${examples}`);
}
