import type { CollectionName } from '@web4/rag-tiers';
import type { ProblemKind } from './pdca-discovery.js';

/** Why a file was not indexed: bad input (fix the file) or a fault (fix the service, run again). */
export type FailureKind = ProblemKind | 'service' | 'embedding' | 'storage';

export const FAULT_KINDS: readonly FailureKind[] = ['service', 'embedding', 'storage'];

export interface FileOutcome {
  path: string;
  docId?: string;
  status: 'indexed' | 'unchanged' | 'failed' | 'skipped';
  kind?: FailureKind;
  reason?: string;
  chunks?: number;
}

export interface IndexingReport {
  collection: CollectionName;
  /** Files that were candidates (matched, for the day when one is given). */
  found: number;
  indexed: number;
  unchanged: number;
  failed: number;
  /** Aliases (symlinks to a PDCA indexed under its own name). */
  skipped: number;
  chunks: number;
  /** Chunk texts sent to the model, and those answered from the vector cache. */
  embedded: number;
  reusedEmbeddings: number;
  /** Unchanged files indexed again because the model or the chunk settings changed since. */
  settingsChanged: number;
  durationMs: number;
  files: FileOutcome[];
}

export function emptyReport(collection: CollectionName): IndexingReport {
  return { collection, found: 0, indexed: 0, unchanged: 0, failed: 0, skipped: 0, chunks: 0, embedded: 0, reusedEmbeddings: 0, settingsChanged: 0, durationMs: 0, files: [] };
}

export function addOutcome(report: IndexingReport, outcome: FileOutcome): void {
  report.files.push(outcome);
  report[outcome.status === 'indexed' ? 'indexed' : outcome.status === 'unchanged' ? 'unchanged' : outcome.status === 'failed' ? 'failed' : 'skipped']++;
  if (outcome.status === 'indexed') report.chunks += outcome.chunks ?? 0;
}

/**
 * The exit code of an indexing command: non-zero only when nothing could be indexed because of
 * a fault (service, model, storage). Bad files are reported but are not a failed run.
 */
export function indexingExitCode(reports: readonly IndexingReport[]): number {
  const done = reports.reduce((n, r) => n + r.indexed + r.unchanged, 0);
  const faults = reports.flatMap((r) => r.files).filter((f) => f.status === 'failed' && f.kind && FAULT_KINDS.includes(f.kind));
  if (done > 0 || faults.length === 0) return 0;
  return faults.some((f) => f.kind === 'service') ? 4 : faults.some((f) => f.kind === 'storage') ? 3 : 1;
}
