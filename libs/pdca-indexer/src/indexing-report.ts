import type { CollectionName } from '@web4/rag-tiers';
import type { ProblemKind } from './pdca-discovery.js';

/** Why a file was not indexed: bad input (fix the file) or a fault (fix the service, run again). */
export type FailureKind = ProblemKind | 'service' | 'embedding' | 'storage';

export const FAULT_KINDS: readonly FailureKind[] = ['service', 'embedding', 'storage'];

/**
 * failed: a PDCA (or component) that could not be indexed, with a reason to act on; skipped: a
 * folder link not followed and named (a real loop, a folder outside the root); alias: a link to
 * a file or folder taken under its real path; ignored: a link the patterns would not accept that
 * leads nowhere. Aliases and ignored links are counts in the reports, never problems.
 */
export type OutcomeStatus = 'indexed' | 'unchanged' | 'failed' | 'skipped' | 'alias' | 'ignored';

export interface FileOutcome {
  path: string;
  docId?: string;
  status: OutcomeStatus;
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
  /** PDCAs (or components) that could not be indexed, and folders that could not be listed. */
  failed: number;
  /** Folder links not followed, each named with its reason: real loops, folders outside the root. */
  skipped: number;
  /** Links to a file or folder indexed under its real path. */
  aliases: number;
  /** Links the patterns would not accept that lead nowhere (dangling, outside, looping). */
  ignored: number;
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
  return { collection, found: 0, indexed: 0, unchanged: 0, failed: 0, skipped: 0, aliases: 0, ignored: 0, chunks: 0, embedded: 0, reusedEmbeddings: 0, settingsChanged: 0, durationMs: 0, files: [] };
}

const COUNTER = { indexed: 'indexed', unchanged: 'unchanged', failed: 'failed', skipped: 'skipped', alias: 'aliases', ignored: 'ignored' } as const;

export function addOutcome(report: IndexingReport, outcome: FileOutcome): void {
  report.files.push(outcome);
  report[COUNTER[outcome.status]]++;
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
