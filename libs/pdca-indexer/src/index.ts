export { chunkText, type TextChunk } from './chunker.js';
export { componentFolder, componentsOfFile, declaresUnit, isComponentName, mentionedComponents, unitStem } from './component-names.js';
export { indexCorpus, corpusOverrides, type CorpusIndexingOptions } from './corpus-indexing.js';
export { resolveCorpusSources, type CorpusFolderOverrides, type CorpusSource, type CorpusSourceName } from './corpus-sources.js';
export { indexDaily, problemOutcomes, type DailyIndexingOptions } from './daily-indexing.js';
export { indexDocuments, type DocumentSource, type PreparedDocument, type IndexOptions } from './document-indexer.js';
export { appendIndexingLog } from './indexing-log.js';
export { indexingExitCode, FAULT_KINDS, type FailureKind, type FileOutcome, type IndexingReport, type OutcomeStatus } from './indexing-report.js';
export {
  compilePatterns,
  dateFromName,
  discoverFiles,
  pdcaIdOf,
  type DiscoveredFile,
  type Discovery,
  type DiscoveryNote,
  type DiscoveryOptions,
  type DiscoveryProblem,
  type ProblemKind,
} from './pdca-discovery.js';
export { parsePdca, sectionAt, type ParsedPdca, type PdcaSection } from './pdca-parser.js';
export { readTextDocument, type ReadOutcome } from './pdca-reader.js';
export { pdcaSource } from './pdca-source.js';
export { qualityScore } from './quality-score.js';
export { detectTopics, loadTopics, type TrainAiTopic } from './trainai-topics.js';
