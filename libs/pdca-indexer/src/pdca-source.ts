import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { dateNum, nodeId, type CollectionName, type GraphEdge } from '@web4/rag-tiers';
import { chunkText } from './chunker.js';
import { mentionedComponents } from './component-names.js';
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

/**
 * The previous PDCA's id, when the header links to a file inside the journal root: the id of
 * the file the link really leads to (a link through `latest/` names the real folder's PDCA).
 */
function previousPdcaId(file: DiscoveredFile, link: string | null, root: string): string | null {
  if (!link) return null;
  const written = resolve(dirname(file.path), decodeURI(link.split('#')[0]!));
  let rel: string;
  try {
    rel = relative(realpathSync(root), realpathSync(written));
  } catch {
    rel = relative(root, written); // a PDCA not written yet (or gone): its id from the path as written
  }
  if (rel.startsWith('..') || rel === '' || isAbsolute(rel)) return null;
  return pdcaIdOf(rel.split(sep).join('/'));
}
