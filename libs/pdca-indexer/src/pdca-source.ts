import { basename, dirname, relative, resolve, sep } from 'node:path';
import { dateNum, nodeId, type CollectionName, type GraphEdge } from '@web4/rag-tiers';
import { chunkText } from './chunker.js';
import { titledBudget, type DocumentSource } from './document-indexer.js';
import { pdcaIdOf, type DiscoveredFile } from './pdca-discovery.js';
import { parsePdca, sectionAt } from './pdca-parser.js';
import { qualityScore } from './quality-score.js';
import { detectTopics, type TrainAiTopic } from './trainai-topics.js';

export interface PdcaSourceContext {
  root: string;
  collection: CollectionName;
  chunk: { size: number; overlap: number };
  topics: readonly TrainAiTopic[];
  /** Component names known to the graph (from `web4 index corpus`), matched as whole words. */
  components: readonly string[];
  /** PDCAs in the buffer are waiting for training; history counts as learned. */
  trained: boolean;
}

/**
 * A PDCA as a DocumentSource: parsed header and sections, the whole text chunked, the plan's
 * metadata on every chunk, and graph edges to the previous PDCA, components and topics.
 */
export function pdcaSource(file: DiscoveredFile, ctx: PdcaSourceContext): DocumentSource {
  return {
    path: file.path,
    docId: file.pdcaId,
    prepare({ text, hash, bytes }, tokens) {
      const parsed = parsePdca(text, basename(file.path));
      const date = file.nameDate ?? parsed.headerDate;
      const topics = detectTopics(text, ctx.topics);
      const quality = qualityScore(parsed, text);
      const components = mentionedComponents(text, ctx.components);
      const edges: GraphEdge[] = [];
      const self = nodeId('pdca', file.pdcaId);
      const previous = previousPdcaId(file, parsed.previousLink, ctx.root);
      if (previous) edges.push({ src: self, dst: nodeId('pdca', previous), kind: 'previous' });
      for (const c of components) edges.push({ src: self, dst: nodeId('component', c), kind: 'component' });
      for (const t of topics) edges.push({ src: self, dst: nodeId('topic', t), kind: 'topic' });
      return {
        docId: file.pdcaId,
        path: file.path,
        title: parsed.title,
        date,
        hash,
        bytes,
        quality,
        trained: ctx.trained,
        chunks: chunkText(text, ctx.chunk.size, ctx.chunk.overlap, titledBudget(parsed.title, tokens)),
        sectionOf: (c) => sectionAt(parsed, c.start),
        metadata: {
          pdca_id: file.pdcaId,
          date: date ?? '',
          date_num: date ? dateNum(date) : 0,
          trained_in_adapter: ctx.trained,
          quality_score: quality,
          topics: topics.join(','),
          components: components.join(','),
          ...(previous ? { previous_pdca: previous } : {}),
        },
        graph: { node: { id: self, kind: 'pdca', label: parsed.title, collection: ctx.collection }, edges, kinds: ['previous', 'component', 'topic'] },
      };
    },
  };
}

/** Components named in the text: `components/<Name>` paths and known names as whole words. */
export function mentionedComponents(text: string, known: readonly string[]): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/components\/([A-Za-z][\w-]*)/g)) found.add(m[1]!);
  for (const name of known) {
    if (name.length >= 4 && new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(text)) found.add(name);
  }
  return [...found].sort();
}

/** The previous PDCA's id, when the header links to a file inside the journal root. */
function previousPdcaId(file: DiscoveredFile, link: string | null, root: string): string | null {
  if (!link) return null;
  const target = resolve(dirname(file.path), decodeURI(link.split('#')[0]!));
  const rel = relative(root, target);
  if (rel.startsWith('..') || rel === '') return null;
  return pdcaIdOf(rel.split(sep).join('/'));
}
