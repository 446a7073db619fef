import type { ChromaTier } from './chroma-tier.js';
import { PDCA_COLLECTIONS, type CollectionName } from './collections.js';
import { nodeId, type GraphTier } from './graph-tier.js';
import type { LexicalTier } from './lexical-tier.js';
import type { DocumentRecord, MetadataTier } from './metadata-tier.js';

export interface TrainingMismatch {
  pdcaId: string;
  collection: CollectionName;
  /** What disagrees, in words: which tier says what. */
  problem: string;
}

export interface TrainingConsistency {
  /** Training batches the metadata tier knows. */
  batches: number;
  /** Distinct PDCAs marked trained by a batch (bulk-loaded history has no batch and is not counted). */
  trainedDocuments: number;
  checkedChunks: number;
  mismatches: TrainingMismatch[];
  consistent: boolean;
}

/**
 * The cross-tier check of "trained": for every PDCA that a nightly batch trained, the metadata
 * tier (trained, training_batch, training_date), the graph (PDCA → batch) and the chunks in
 * Chroma (trained_in_adapter, training_batch) must agree; and no chunk of an untrained buffer
 * PDCA may claim to be trained. `web4 rag health` shows the mismatches.
 */
export async function trainingConsistency(tiers: { chroma: ChromaTier; metadata: MetadataTier; graph: GraphTier; lexical?: LexicalTier }): Promise<TrainingConsistency> {
  const mismatches: TrainingMismatch[] = [];
  const batches = new Set<string>();
  const trained = new Set<string>();
  let checkedChunks = 0;
  for (const collection of PDCA_COLLECTIONS) {
    const docs = (await tiers.metadata.listDocuments(collection, {}, Number.MAX_SAFE_INTEGER)).filter((d) => d.chunkCount > 0 || d.trainingBatch);
    const byId = new Map<string, DocumentRecord>(docs.map((d) => [d.docId, d]));
    for (const d of docs) {
      if (!d.trainingBatch) continue;
      trained.add(d.docId);
      batches.add(d.trainingBatch);
      if (!d.trained) mismatches.push({ pdcaId: d.docId, collection, problem: `metadata has training_batch ${d.trainingBatch} but trained = 0` });
      if (!d.trainingDate) mismatches.push({ pdcaId: d.docId, collection, problem: `metadata has training_batch ${d.trainingBatch} but no training_date` });
      const { edges } = await tiers.graph.neighbourhood(nodeId('pdca', d.docId), { kinds: ['trained_in'] });
      if (!edges.some((e) => e.dst === nodeId('batch', d.trainingBatch!))) {
        mismatches.push({ pdcaId: d.docId, collection, problem: `graph has no edge to batch ${d.trainingBatch}` });
      }
    }
    const live = docs.filter((d) => d.chunkCount > 0);
    const chunks = await tiers.chroma.metadataOf(collection, live.map((d) => d.docId));
    checkedChunks += chunks.length;
    const seen = new Map<string, number>();
    for (const c of chunks) {
      const id = String(c.metadata.doc_id);
      seen.set(id, (seen.get(id) ?? 0) + 1);
      const d = byId.get(id);
      if (!d) continue;
      const chunkBatch = c.metadata.training_batch ?? null;
      if (d.trainingBatch && (c.metadata.trained_in_adapter !== true || chunkBatch !== d.trainingBatch)) {
        mismatches.push({ pdcaId: id, collection, problem: `chunk ${c.id} in Chroma says trained_in_adapter=${String(c.metadata.trained_in_adapter)}, training_batch=${String(chunkBatch)}; metadata says batch ${d.trainingBatch}` });
      } else if (!d.trained && c.metadata.trained_in_adapter === true) {
        mismatches.push({ pdcaId: id, collection, problem: `chunk ${c.id} in Chroma says trained (batch ${String(chunkBatch)}); metadata says untrained` });
      }
    }
    const lexical = tiers.lexical?.chunkCounts(collection);
    for (const d of live) {
      if ((seen.get(d.docId) ?? 0) !== d.chunkCount) {
        mismatches.push({ pdcaId: d.docId, collection, problem: `metadata records ${d.chunkCount} chunks, Chroma holds ${seen.get(d.docId) ?? 0}` });
      }
      if (lexical && (lexical.get(d.docId) ?? 0) !== d.chunkCount) {
        mismatches.push({ pdcaId: d.docId, collection, problem: `metadata records ${d.chunkCount} chunks, the lexical index holds ${lexical.get(d.docId) ?? 0} (\`web4 index corpus\` / \`index daily\` rewrites it)` });
      }
    }
    // Chunks of a document cleared from the collection must be gone from the lexical index too.
    if (lexical) {
      const liveIds = new Set(live.map((d) => d.docId));
      for (const [id, n] of lexical) {
        if (!liveIds.has(id)) mismatches.push({ pdcaId: id, collection, problem: `the lexical index still holds ${n} chunks of a document with none in metadata` });
      }
    }
  }
  return { batches: batches.size, trainedDocuments: trained.size, checkedChunks, mismatches, consistent: mismatches.length === 0 };
}
