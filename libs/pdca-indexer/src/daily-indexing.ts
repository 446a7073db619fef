import { closeSync, openSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveStatePath, type Web4Config } from '@web4/core';
import type { RagStack } from '@web4/rag-tiers';
import { indexDocuments } from './document-indexer.js';
import type { FileOutcome, IndexingReport } from './indexing-report.js';
import { compilePatterns, dateFromName, discoverFiles, type DiscoveredFile, type Discovery } from './pdca-discovery.js';
import { parsePdca } from './pdca-parser.js';
import { pdcaSource } from './pdca-source.js';
import { loadTopics } from './trainai-topics.js';

export interface DailyIndexingOptions {
  /** The day to index, `YYYY-MM-DD` (UTC). */
  date: string;
  /** Journal root; default rag.journal.root. */
  root?: string;
  /** Re-index unchanged files too (new chunk size, new model). */
  force?: boolean;
  onProgress?: (done: number, total: number, path: string) => void;
  now?: () => Date;
}

/**
 * Index one day's PDCAs into `daily_buffer` (the plan's index_daily_work.py): files dated that
 * day by name, or by their header when the name has no date. Unchanged files are skipped.
 */
export async function indexDaily(rag: RagStack, config: Web4Config, options: DailyIndexingOptions): Promise<IndexingReport> {
  const root = resolveStatePath(config, options.root ?? config.rag.journal.root);
  const discovery = discoverFiles(root, compilePatterns(config.rag.journal.patterns));
  const files = discovery.files.filter((f) => (f.nameDate ?? headerDate(f)) === options.date);
  // Problems and aliases of another day belong to that day's report.
  const ofTheDay = (p: { path: string }) => {
    const d = dateFromName(basename(p.path));
    return d === null || d === options.date;
  };
  const notes = { problems: discovery.problems.filter(ofTheDay), skipped: discovery.skipped, aliases: discovery.aliases.filter(ofTheDay), ignored: discovery.ignored.filter(ofTheDay) };
  const components = (await rag.graph.nodesOfKind('component')).map((n) => n.label);
  const topics = loadTopics(join(resolveStatePath(config, config.rag.corpus.trainai), 'topics.yaml'));
  const ctx = { root, collection: 'daily_buffer' as const, chunk: config.rag.chunk, topics, components, trained: false };
  return indexDocuments(
    rag,
    'daily_buffer',
    files.map((f) => pdcaSource(f, ctx)),
    {
      maxBytes: config.rag.journal.maxFileBytes,
      ...(options.force ? { force: true } : {}),
      preOutcomes: problemOutcomes(notes),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.now ? { now: options.now } : {}),
    },
  );
}

/** Discovery's findings as report outcomes: problems fail, loops are named, aliases and ignored links are counted. */
export function problemOutcomes(d: Pick<Discovery, 'problems' | 'skipped' | 'aliases' | 'ignored'>): FileOutcome[] {
  return [
    ...d.problems.map((p) => ({ path: p.path, status: 'failed' as const, kind: p.kind, reason: p.reason })),
    ...d.skipped.map((p) => ({ path: p.path, status: 'skipped' as const, kind: p.kind, reason: p.reason })),
    ...d.aliases.map((n) => ({ path: n.path, status: 'alias' as const, reason: n.reason })),
    ...d.ignored.map((n) => ({ path: n.path, status: 'ignored' as const, reason: n.reason })),
  ];
}

/** The header date of a file whose name has none; the header sits in its first few KB. */
function headerDate(file: DiscoveredFile): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(file.path, 'r');
    const buf = Buffer.alloc(8192);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return parsePdca(buf.subarray(0, n).toString('utf8'), '').headerDate;
  } catch {
    return null; // unreadable files are reported by the indexer when their day is asked for
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export type { Discovery };
