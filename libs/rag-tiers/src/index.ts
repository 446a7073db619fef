export { ChromaTier, NO_CHROMA, CHANGE_MARK, dateNum, matchesFilters, whereFromFilters, isConnectionFailure, type ChunkRecord } from './chroma-tier.js';
export { VectorMirror, type MirrorHit, type MirrorRows, type MirrorSource, type VectorMirrorOptions, type VectorMirrorStats } from './vector-mirror.js';
export { CachedEmbedder, textHash } from './cached-embedder.js';
export {
  COLLECTION_NAMES,
  COLLECTION_DESCRIPTIONS,
  PDCA_COLLECTIONS,
  SEARCH_COLLECTIONS,
  isCollectionName,
  type CollectionName,
} from './collections.js';
export { collectionHealth, type CollectionHealth, type CollectionHealthRow } from './collection-health.js';
export { GraphTier, nodeId, type EdgeKind, type GraphEdge, type GraphNode, type NodeKind } from './graph-tier.js';
export { HotPdcaCache, type CacheStats, type PdcaEntry } from './hot-pdca-cache.js';
export { MetadataTier, type AccessRecord, type DocumentRecord, type HotPdca } from './metadata-tier.js';
export type { TierFileOptions } from './tier-file-options.js';
export { graphMigrations } from './migrations/graph/index.js';
export { metadataMigrations } from './migrations/metadata/index.js';
export { chromaTierFor, chromaUrl, loadPdca, openRag, type OpenRagOptions, type RagStack } from './rag-stack.js';
export {
  TIER_NAMES,
  type MetadataValue,
  type RetrievalFilters,
  type RetrievalTier,
  type RetrievedItem,
  type TierName,
  type TierQuery,
} from './retrieval-tier.js';
export { QueryEmbeddingCache } from './query-embedding-cache.js';
export { Retriever, type GatheredLists, type RetrievalResult, type RetrieveOptions } from './retriever.js';
export { LexicalTier, lexicalQuery, queryTerms, termCoverage, type LexicalChunk, type LexicalDocument } from './lexical-tier.js';
export { DEFAULT_FUSION, documentKey, fuseRankings, rankDocuments, type FusedDocument, type Fusion, type FusionSettings } from './rank-fusion.js';
export {
  applyFusion,
  evaluateFusion,
  FUSION_GOAL_MRR,
  type FusionEvaluation,
  type FusionGoals,
  type RankingScores,
} from './tuning/fusion-tuning.js';
export type { TextEmbedder, TokenCounter } from './text-embedder.js';
export { loadRelevanceSet, matchesRef, type LabelledQuery, type RelevantDocument } from './tuning/relevance-set.js';
export { contextToNoise, mean, percentile, precisionAtK, recall, reciprocalRank, type JudgedList } from './tuning/retrieval-metrics.js';
export {
  CANDIDATE_K,
  applyNResults,
  optimizeRetrieval,
  type OptimizationResult,
  type OptimizationRow,
  type Recommendation,
} from './tuning/retrieval-optimizer.js';
export { Embedder, POOL_MIN_TEXTS, createEmbedder, resolveWorkers } from './embedding/create-embedder.js';
export { EmbeddingPool, embedWorkerEntry, type EmbeddingPoolOptions } from './embedding/embedding-pool.js';
export { MiniLmEmbedder, type MiniLmEmbedderOptions } from './embedding/minilm-embedder.js';
export { ragUsage, tiersInContext, type RagUsage } from './rag-usage.js';
export { backupTiers, restoreTiers, tierFiles, type TierFiles } from './tier-backup.js';
export { DailyBuffer, type BufferChunk } from './daily-buffer.js';
export { trainingConsistency, type TrainingConsistency, type TrainingMismatch } from './training-consistency.js';
export type { MoveCheck } from './daily-buffer.js';
