import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveStatePath, type Web4Config } from '@web4/core';
import { nodeId, type CollectionName, type RagStack } from '@web4/rag-tiers';
import { chunkText } from './chunker.js';
import { indexDocuments, titledBudget, type DocumentSource } from './document-indexer.js';
import type { IndexingReport } from './indexing-report.js';
import { problemOutcomes } from './daily-indexing.js';
import { compilePatterns, discoverFiles, type DiscoveredFile } from './pdca-discovery.js';
import { pdcaSource } from './pdca-source.js';
import { loadTopics, type TrainAiTopic } from './trainai-topics.js';

export interface CorpusIndexingOptions {
  /** Override folders of rag.journal.root / rag.corpus. */
  journal?: string;
  components?: string;
  processDocs?: string;
  toolExamples?: string;
  trainai?: string;
  /** Re-index unchanged files too (new chunk size, new model). */
  force?: boolean;
  onProgress?: (collection: CollectionName, done: number, total: number, path: string) => void;
  now?: () => Date;
}

const TEXT_FILES = compilePatterns(['*.ts', '*.tsx', '*.js', '*.mjs', '*.md', '*.json', '*.yaml', '*.yml', '*.txt']);

/**
 * Bulk-load the historical collections (`web4 index corpus`): TrainAI topics first, then
 * components (so PDCAs can link to both), process docs, tool examples, and the whole journal
 * into `pdca_historical`. Incremental like the daily run: a second run only touches what changed.
 * A missing folder is reported in `skippedFolders`, not an error.
 */
export async function indexCorpus(
  rag: RagStack,
  config: Web4Config,
  options: CorpusIndexingOptions = {},
): Promise<{ reports: IndexingReport[]; skippedFolders: Array<{ collection: CollectionName; folder: string }> }> {
  const folder = (value: string | undefined, fallback: string) => resolveStatePath(config, value ?? fallback);
  const trainaiDir = folder(options.trainai, config.rag.corpus.trainai);
  const topics = loadTopics(join(trainaiDir, 'topics.yaml'));
  rag.graph.upsertNodes(topics.map((t) => ({ id: nodeId('topic', t.id), kind: 'topic' as const, label: t.title, collection: 'process_framework' as const })));

  const plan: Array<{ collection: CollectionName; dir: string; kind: 'topic' | 'component' | 'doc' | 'pdca' }> = [
    { collection: 'process_framework', dir: trainaiDir, kind: 'topic' },
    { collection: 'components', dir: folder(options.components, config.rag.corpus.components), kind: 'component' },
    { collection: 'process_docs', dir: folder(options.processDocs, config.rag.corpus.processDocs), kind: 'doc' },
    { collection: 'tool_examples', dir: folder(options.toolExamples, config.rag.corpus.toolExamples), kind: 'doc' },
    { collection: 'pdca_historical', dir: folder(options.journal, config.rag.journal.root), kind: 'pdca' },
  ];
  const reports: IndexingReport[] = [];
  const skippedFolders: Array<{ collection: CollectionName; folder: string }> = [];
  for (const step of plan) {
    if (!existsSync(step.dir)) {
      skippedFolders.push({ collection: step.collection, folder: step.dir });
      continue;
    }
    const patterns = step.kind === 'pdca' ? compilePatterns(config.rag.journal.patterns) : TEXT_FILES;
    const discovery = discoverFiles(step.dir, patterns);
    let sources: DocumentSource[];
    if (step.kind === 'pdca') {
      const components = (await rag.graph.nodesOfKind('component')).map((n) => n.label);
      const ctx = { root: step.dir, collection: step.collection, chunk: config.rag.chunk, topics, components, trained: true };
      sources = discovery.files.map((f) => pdcaSource(f, ctx));
    } else {
      sources = discovery.files
        .filter((f) => !(step.kind === 'topic' && /^topics\.ya?ml$/i.test(basename(f.path))))
        .map((f) => plainSource(f, step.collection, step.kind as 'topic' | 'component' | 'doc', config.rag.chunk, topics));
    }
    reports.push(
      await indexDocuments(rag, step.collection, sources, {
        maxBytes: config.rag.journal.maxFileBytes,
        ...(options.force ? { force: true } : {}),
        preOutcomes: problemOutcomes(discovery.problems),
        ...(options.onProgress ? { onProgress: (d: number, t: number, p: string) => options.onProgress!(step.collection, d, t, p) } : {}),
        ...(options.now ? { now: options.now } : {}),
      }),
    );
  }
  return { reports, skippedFolders };
}

/** Component name of a source file: `layer2/GraphTier.ts` → GraphTier, `X.interface.ts` → X. */
export function componentName(file: string): string {
  return basename(file).replace(/\.(interface|test|spec)?\.?[a-z]+$/i, '').replace(/\.$/, '');
}

function plainSource(
  file: DiscoveredFile,
  collection: CollectionName,
  kind: 'topic' | 'component' | 'doc',
  chunk: { size: number; overlap: number },
  topics: readonly TrainAiTopic[],
): DocumentSource {
  return {
    path: file.path,
    docId: file.relPath,
    prepare({ text, hash, bytes }, tokens) {
      const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.replace(/\*\*/g, '').trim();
      const name = kind === 'component' ? componentName(file.path) : null;
      const topic = kind === 'topic' ? topics.find((t) => basename(file.path).toLowerCase().startsWith(t.id.toLowerCase())) : undefined;
      const title = name ?? heading ?? basename(file.path);
      return {
        docId: file.relPath,
        path: file.path,
        title,
        date: null,
        hash,
        bytes,
        quality: 1,
        trained: true,
        chunks: chunkText(text, chunk.size, chunk.overlap, titledBudget(title, tokens)),
        metadata: {
          kind,
          ...(name ? { component: name, layer: file.relPath.split('/')[0] ?? '' } : {}),
          ...(topic ? { topic_id: topic.id } : {}),
        },
        ...(name
          ? { graph: { node: { id: nodeId('component', name), kind: 'component' as const, label: name, collection }, edges: [], kinds: [] } }
          : topic
            ? { graph: { node: { id: nodeId('topic', topic.id), kind: 'topic' as const, label: topic.title, collection }, edges: [], kinds: [] } }
            : {}),
      };
    },
  };
}
