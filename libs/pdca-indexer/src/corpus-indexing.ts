import { basename, join } from 'node:path';
import type { Web4Config } from '@web4/core';
import { nodeId, type CollectionName, type RagStack } from '@web4/rag-tiers';
import { chunkText } from './chunker.js';
import { componentsOfFile, isComponentName, readHead } from './component-names.js';
import { resolveCorpusSources, type CorpusFolderOverrides, type CorpusSourceName } from './corpus-sources.js';
import { indexDocuments, titledBudget, type DocumentSource } from './document-indexer.js';
import type { IndexingReport } from './indexing-report.js';
import { problemOutcomes } from './daily-indexing.js';
import { compilePatterns, discoverFiles, type DiscoveredFile } from './pdca-discovery.js';
import { pdcaSource } from './pdca-source.js';
import { loadTopics, type TrainAiTopic } from './trainai-topics.js';

export interface CorpusIndexingOptions {
  /** Override folders of rag.journal.root / rag.corpus (from the command line: they must exist). */
  journal?: string;
  components?: string;
  processDocs?: string;
  toolExamples?: string;
  trainai?: string;
  /** Load only these sources (default all). */
  only?: readonly CorpusSourceName[];
  /** Re-index unchanged files too (new chunk size, new model). */
  force?: boolean;
  onProgress?: (collection: CollectionName, done: number, total: number, path: string) => void;
  now?: () => Date;
}

const TEXT_FILES = compilePatterns(['*.ts', '*.tsx', '*.js', '*.mjs', '*.md', '*.json', '*.yaml', '*.yml', '*.txt']);
/** A component's code and docs; not its JSON (package manifests, scenario data). */
const COMPONENT_FILES = compilePatterns(['*.ts', '*.tsx', '*.js', '*.mjs', '*.md', '*.yaml', '*.yml', '*.txt']);

/** The folder overrides of the options, by source name. */
export function corpusOverrides(options: CorpusIndexingOptions): CorpusFolderOverrides {
  const names = ['journal', 'components', 'processDocs', 'toolExamples', 'trainai'] as const;
  return Object.fromEntries(names.filter((n) => options[n] !== undefined).map((n) => [n, options[n]!]));
}

/**
 * Bulk-load the historical collections (`web4 index corpus`): TrainAI topics first, then
 * components (so PDCAs can link to both), process docs, tool examples, and the whole journal
 * into `pdca_historical`. Incremental like the daily run: a second run only touches what changed.
 * A folder that does not exist stops the run before anything is indexed (InputError, exit 2),
 * unless the config marks it optional: then it is reported in `skippedFolders`.
 */
export async function indexCorpus(
  rag: RagStack,
  config: Web4Config,
  options: CorpusIndexingOptions = {},
): Promise<{ reports: IndexingReport[]; skippedFolders: Array<{ collection: CollectionName; folder: string }> }> {
  const { sources, skipped } = resolveCorpusSources(config, corpusOverrides(options), options.only);
  const trainai = sources.find((s) => s.name === 'trainai');
  const topics = trainai ? loadTopics(join(trainai.dir, 'topics.yaml')) : [];
  rag.graph.upsertNodes(topics.map((t) => ({ id: nodeId('topic', t.id), kind: 'topic' as const, label: t.title, collection: 'process_framework' as const })));

  const reports: IndexingReport[] = [];
  for (const step of sources) {
    const patterns = step.kind === 'pdca' ? compilePatterns(config.rag.journal.patterns) : step.kind === 'component' ? COMPONENT_FILES : TEXT_FILES;
    const discovery = discoverFiles(step.dir, patterns, { rootName: step.rootName, setting: step.setting });
    let sources: DocumentSource[];
    if (step.kind === 'pdca') {
      const components = (await rag.graph.nodesOfKind('component')).map((n) => n.label);
      const ctx = { root: step.dir, collection: step.collection, chunk: config.rag.chunk, topics, components, trained: true };
      sources = discovery.files.map((f) => pdcaSource(f, ctx));
    } else {
      const units = step.kind === 'component' ? await componentGraph(rag, discovery.files) : new Map<string, ComponentOfFile>();
      sources = discovery.files
        .filter((f) => !(step.kind === 'topic' && /^topics\.ya?ml$/i.test(basename(f.path))))
        .map((f) => plainSource(f, step.collection, step.kind as 'topic' | 'component' | 'doc', config.rag.chunk, topics, units.get(f.relPath)));
    }
    reports.push(
      await indexDocuments(rag, step.collection, sources, {
        maxBytes: config.rag.journal.maxFileBytes,
        ...(options.force ? { force: true } : {}),
        preOutcomes: problemOutcomes(discovery),
        ...(options.onProgress ? { onProgress: (d: number, t: number, p: string) => options.onProgress!(step.collection, d, t, p) } : {}),
        ...(options.now ? { now: options.now } : {}),
      }),
    );
  }
  return { reports, skippedFolders: skipped.map((s) => ({ collection: s.collection, folder: s.dir })) };
}

type ComponentOfFile = { folder: string | null; unit: string | null };

/**
 * The component nodes of the components folder: every component folder and every unit a code
 * file exports under its own name. Component nodes made from this folder before and no longer
 * found in it (file-name nodes like README or index of earlier versions) are removed with their
 * edges, and so is any component node with a generic name.
 */
async function componentGraph(rag: RagStack, files: readonly DiscoveredFile[]): Promise<Map<string, ComponentOfFile>> {
  const byFile = new Map<string, ComponentOfFile>();
  const names = new Set<string>();
  for (const f of files) {
    const c = componentsOfFile(f.relPath, () => readHead(f.path));
    byFile.set(f.relPath, c);
    for (const n of [c.folder, c.unit]) if (n) names.add(n);
  }
  rag.graph.upsertNodes([...names].map((n) => ({ id: nodeId('component', n), kind: 'component' as const, label: n, collection: 'components' as const })));
  await pruneComponentNodes(rag, names);
  return byFile;
}

/** Remove component nodes this components folder no longer yields, and any with a generic name. */
async function pruneComponentNodes(rag: RagStack, keep: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const n of await rag.graph.nodesOfKind('component')) {
    if ((n.collection === 'components' && !keep.has(n.label)) || !isComponentName(n.label)) {
      rag.graph.removeNode(n.id);
      removed.push(n.label);
    }
  }
  return removed;
}

function plainSource(
  file: DiscoveredFile,
  collection: CollectionName,
  kind: 'topic' | 'component' | 'doc',
  chunk: { size: number; overlap: number },
  topics: readonly TrainAiTopic[],
  component?: ComponentOfFile,
): DocumentSource {
  return {
    path: file.path,
    docId: file.relPath,
    prepare({ text, hash, bytes }, tokens) {
      const heading = /^#\s+(.+)$/m.exec(text)?.[1]?.replace(/\*\*/g, '').trim();
      const name = kind === 'component' ? (component?.unit ?? component?.folder ?? null) : null;
      const topic = kind === 'topic' ? topics.find((t) => basename(file.path).toLowerCase().startsWith(t.id.toLowerCase())) : undefined;
      // A unit is its own title; a README or index of a component folder keeps its heading or name.
      const title = component?.unit ?? heading ?? basename(file.path);
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
        // Component nodes come from the whole folder at once (componentGraph); topics from topics.yaml.
        ...(topic ? { graph: { node: { id: nodeId('topic', topic.id), kind: 'topic' as const, label: topic.title, collection }, edges: [], kinds: [] } } : {}),
      };
    },
  };
}
